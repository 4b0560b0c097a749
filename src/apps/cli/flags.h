// A small command-line flag parser for the corgi subcommands.
//
//   FlagParser flags("corgi inspect MODEL_DIR", "Describe a checkpoint.");
//   std::string* model = flags.String("model", "", "checkpoint directory");
//   bool* json = flags.Bool("json", "print JSON");
//   if (!flags.Parse(argc, argv)) return flags.exit_code();
//
// Accepts --name value, --name=value, boolean --name, repeated flags (Strings()),
// and positional arguments. An unknown flag or a missing value is an error with usage.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace corgi::cli {

class FlagParser {
 public:
  FlagParser(std::string usage, std::string description);

  std::string* String(const std::string& name, const std::string& default_value,
                      const std::string& help);
  std::vector<std::string>* Strings(const std::string& name, const std::string& help);
  int64_t* Int(const std::string& name, int64_t default_value, const std::string& help);
  double* Double(const std::string& name, double default_value, const std::string& help);
  bool* Bool(const std::string& name, const std::string& help);

  // Parses argv[0..argc) where argv[0] is the subcommand name. Returns false when the
  // program should exit (after --help, exit_code() 0; on an error, exit_code() 2).
  bool Parse(int argc, char** argv);
  int exit_code() const { return exit_code_; }
  const std::vector<std::string>& positional() const { return positional_; }
  // True if the user gave --name explicitly.
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
    bool set = false;
  };
  Flag* Find(const std::string& name);
  bool Assign(Flag* flag, const std::string& value);

  std::string usage_;
  std::string description_;
  std::deque<Flag> flags_;
  std::deque<std::string> strings_;
  std::deque<std::vector<std::string>> string_lists_;
  std::deque<int64_t> ints_;
  std::deque<double> doubles_;
  std::deque<bool> bools_;
  std::vector<std::string> positional_;
  int exit_code_ = 0;
};

}  // namespace corgi::cli
