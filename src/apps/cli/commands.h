// The corgi subcommands. Each takes argv with argv[0] = the subcommand name and
// returns the process exit code (0 success, 1 failure, 2 usage error).
#pragma once

namespace corgi::cli {

int RunMakeModel(int argc, char** argv);   // cmd_make_model.cc
int RunInspect(int argc, char** argv);     // cmd_inspect.cc
int RunQuantize(int argc, char** argv);    // cmd_quantize.cc
int RunTokenize(int argc, char** argv);    // cmd_tokenize.cc
int RunPreprocess(int argc, char** argv);  // cmd_preprocess.cc
int RunBench(int argc, char** argv);       // cmd_bench.cc
int RunGenerate(int argc, char** argv);    // cmd_generate.cc
int RunAsk(int argc, char** argv);         // cmd_ask.cc
int RunBatch(int argc, char** argv);       // cmd_batch.cc
int RunBatchMerge(int argc, char** argv);  // cmd_batch_merge.cc (corgi batch merge)
int RunServe(int argc, char** argv);       // apps/server/cmd_serve.cc

}  // namespace corgi::cli
