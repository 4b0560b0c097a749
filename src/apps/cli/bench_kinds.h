// The kinds of `corgi bench`, one function each (argv[0] is the kind's name).
#pragma once

namespace corgi::cli {

int BenchModel(int argc, char** argv);  // bench_model.cc

}  // namespace corgi::cli
