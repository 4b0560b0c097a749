// A small command-line flag parser for the corgi subcommands.
//
//   FlagParser flags("corgi inspect MODEL_DIR", "Describe a checkpoint.");
//   std::string* model = flags.String("model", "", "checkpoint directory");
//   bool* json = flags.Bool("json", "print JSON");
//   if (!flags.Parse(argc, argv)) return flags.exit_code();
//
// Accepts --name value, --name=value, boolean --name, repeated flags (Strings()),
// and positional arguments. Alias() adds a short form (-m value, -m=value) or another
// long name for a flag. An unknown flag or a missing value is an error with usage.
// `placeholder` names the value in the help text (DIR, PATH, FILE, N, TEXT); empty: TEXT
// for strings, N for integers, X for numbers.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace corgi::cli {

class FlagParser {
 public:
  FlagParser(std::string usage, std::string description);

  std::string* String(const std::string& name, const std::string& default_value,
                      const std::string& help, const std::string& placeholder = "");
  std::vector<std::string>* Strings(const std::string& name, const std::string& help,
                                    const std::string& placeholder = "");
  int64_t* Int(const std::string& name, int64_t default_value, const std::string& help,
               const std::string& placeholder = "");
  double* Double(const std::string& name, double default_value, const std::string& help,
                 const std::string& placeholder = "");
  bool* Bool(const std::string& name, const std::string& help);
  // Another spelling of the registered flag `name`: one letter gives the short form
  // "-a", a longer alias "--alias" (kept out of the help text, for old spellings).
  void Alias(const std::string& alias, const std::string& name);
  // Checks every value of the integer flag `name` as Parse reads it: `problem` returns ""
  // for a good value, else what is wrong ("must be in [0, 8], got 9"), and Parse fails
  // (exit code 2) with "error: --name <problem>".
  void Check(const std::string& name, std::function<std::string(int64_t)> problem);

  // Parses argv[0..argc) where argv[0] is the subcommand name. Returns false when the
  // program should exit (after --help, exit_code() 0; on an error, exit_code() 2).
  bool Parse(int argc, char** argv);
  int exit_code() const { return exit_code_; }
  const std::vector<std::string>& positional() const { return positional_; }
  // True if the user gave --name (or one of its aliases) explicitly.
  bool WasSet(const std::string& name) const;
  void PrintUsage() const;

 private:
  enum class Kind { kString, kStrings, kInt, kDouble, kBool };
  struct Flag {
    std::string name;
    Kind kind;
    std::string help;
    std::string default_text;
    void* target;
    std::string placeholder;
    bool set = false;
    std::string short_name;               // one letter, or empty
    std::vector<std::string> long_aliases;
  };
  Flag* Find(const std::string& name);
  Flag* FindShort(const std::string& letter);
  bool Assign(Flag* flag, const std::string& value);

  std::string usage_;
  std::string description_;
  std::deque<Flag> flags_;
  std::deque<std::string> strings_;
  std::deque<std::vector<std::string>> string_lists_;
  std::deque<int64_t> ints_;
  std::deque<double> doubles_;
  std::deque<bool> bools_;
  std::map<std::string, std::function<std::string(int64_t)>> checks_;  // by flag name
  std::vector<std::string> positional_;
  int exit_code_ = 0;
};

// Registers -t/--threads N (default 0: one per core), bounded at parse time to
// [0, MaxThreadCount()] (corgi/core/thread_pool.h): a thread count beyond the cores is a
// typo or a denial of service, and the system may refuse to start that many threads.
int64_t* AddThreadsFlag(FlagParser* flags, const std::string& help);

// Registers --weights none|q8|q4: quantize a float checkpoint's weights at load
// (config: engine.weights; docs/QUANTIZATION.md). Checked where it is used.
std::string* AddWeightsFlag(FlagParser* flags);

}  // namespace corgi::cli
