// The kinds of `corgi bench`, one function each (argv[0] is the kind's name).
#pragma once

namespace corgi::cli {

int BenchModel(int argc, char** argv);     // bench_model.cc
int BenchAccuracy(int argc, char** argv);  // bench_accuracy.cc
int BenchPipeline(int argc, char** argv);  // bench_pipeline.cc
int BenchServe(int argc, char** argv);     // bench_serve.cc

}  // namespace corgi::cli
