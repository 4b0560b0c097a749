#include "apps/cli/flags.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "corgi/core/thread_pool.h"

namespace corgi::cli {

FlagParser::FlagParser(std::string usage, std::string description)
    : usage_(std::move(usage)), description_(std::move(description)) {}

std::string* FlagParser::String(const std::string& name, const std::string& default_value,
                                const std::string& help, const std::string& placeholder) {
  strings_.push_back(default_value);
  flags_.push_back({name, Kind::kString, help, default_value, &strings_.back(),
                    placeholder.empty() ? "TEXT" : placeholder, false, "", {}});
  return &strings_.back();
}

std::vector<std::string>* FlagParser::Strings(const std::string& name, const std::string& help,
                                              const std::string& placeholder) {
  string_lists_.emplace_back();
  flags_.push_back({name, Kind::kStrings, help, "", &string_lists_.back(),
                    placeholder.empty() ? "TEXT" : placeholder, false, "", {}});
  return &string_lists_.back();
}

int64_t* FlagParser::Int(const std::string& name, int64_t default_value, const std::string& help,
                         const std::string& placeholder) {
  ints_.push_back(default_value);
  flags_.push_back({name, Kind::kInt, help, std::to_string(default_value), &ints_.back(),
                    placeholder.empty() ? "N" : placeholder, false, "", {}});
  return &ints_.back();
}

double* FlagParser::Double(const std::string& name, double default_value, const std::string& help,
                           const std::string& placeholder) {
  doubles_.push_back(default_value);
  char text[32];
  std::snprintf(text, sizeof(text), "%g", default_value);
  flags_.push_back({name, Kind::kDouble, help, text, &doubles_.back(),
                    placeholder.empty() ? "X" : placeholder, false, "", {}});
  return &doubles_.back();
}

bool* FlagParser::Bool(const std::string& name, const std::string& help) {
  bools_.push_back(false);
  flags_.push_back({name, Kind::kBool, help, "", &bools_.back(), "", false, "", {}});
  return &bools_.back();
}

void FlagParser::Alias(const std::string& alias, const std::string& name) {
  Flag* flag = Find(name);
  if (flag == nullptr) {
    std::fprintf(stderr, "internal error: alias '%s' for unknown flag --%s\n", alias.c_str(),
                 name.c_str());
    std::abort();
  }
  if (alias.size() == 1)
    flag->short_name = alias;
  else
    flag->long_aliases.push_back(alias);
}

void FlagParser::Check(const std::string& name, std::function<std::string(int64_t)> problem) {
  checks_[name] = std::move(problem);
}

FlagParser::Flag* FlagParser::Find(const std::string& name) {
  for (Flag& f : flags_)
    if (f.name == name) return &f;
  for (Flag& f : flags_)
    for (const std::string& a : f.long_aliases)
      if (a == name) return &f;
  return nullptr;
}

FlagParser::Flag* FlagParser::FindShort(const std::string& letter) {
  for (Flag& f : flags_)
    if (!f.short_name.empty() && f.short_name == letter) return &f;
  return nullptr;
}

bool FlagParser::WasSet(const std::string& name) const {
  for (const Flag& f : flags_)
    if (f.name == name) return f.set;
  return false;
}

bool FlagParser::Assign(Flag* flag, const std::string& value) {
  flag->set = true;
  switch (flag->kind) {
    case Kind::kString: *static_cast<std::string*>(flag->target) = value; return true;
    case Kind::kStrings: static_cast<std::vector<std::string>*>(flag->target)->push_back(value); return true;
    case Kind::kInt: {
      char* end = nullptr;
      errno = 0;
      long long v = std::strtoll(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || errno == ERANGE) {
        std::fprintf(stderr, "error: --%s expects an integer, got '%s'\n", flag->name.c_str(), value.c_str());
        return false;
      }
      if (auto check = checks_.find(flag->name); check != checks_.end()) {
        if (std::string problem = check->second(v); !problem.empty()) {
          std::fprintf(stderr, "error: --%s %s\n", flag->name.c_str(), problem.c_str());
          return false;
        }
      }
      *static_cast<int64_t*>(flag->target) = v;
      return true;
    }
    case Kind::kDouble: {
      char* end = nullptr;
      double v = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0') {
        std::fprintf(stderr, "error: --%s expects a number, got '%s'\n", flag->name.c_str(), value.c_str());
        return false;
      }
      *static_cast<double*>(flag->target) = v;
      return true;
    }
    case Kind::kBool:
      if (value == "true" || value == "1") {
        *static_cast<bool*>(flag->target) = true;
      } else if (value == "false" || value == "0") {
        *static_cast<bool*>(flag->target) = false;
      } else {
        std::fprintf(stderr, "error: --%s expects true or false\n", flag->name.c_str());
        return false;
      }
      return true;
  }
  return false;
}

namespace {

bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

}  // namespace

bool FlagParser::Parse(int argc, char** argv) {
  bool only_positional = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    // "-x" is a short flag; "-", "-5" and anything after "--" are positional.
    bool is_long = arg.size() > 2 && arg.compare(0, 2, "--") == 0;
    bool is_short = arg.size() >= 2 && arg[0] == '-' && IsLetter(arg[1]);
    if (arg == "--" && !only_positional) {
      only_positional = true;
      continue;
    }
    if (only_positional || (!is_long && !is_short)) {
      positional_.push_back(arg);
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      PrintUsage();
      exit_code_ = 0;
      return false;
    }
    std::string name = arg.substr(is_long ? 2 : 1), value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    Flag* flag = nullptr;
    if (is_long) {
      flag = Find(name);
    } else if (name.size() == 1) {
      flag = FindShort(name);
    }
    const std::string shown = (is_long ? "--" : "-") + name;
    if (flag == nullptr) {
      std::fprintf(stderr, "error: unknown flag %s\n\n", shown.c_str());
      PrintUsage();
      exit_code_ = 2;
      return false;
    }
    if (!has_value && flag->kind == Kind::kBool) {
      value = "true";
      has_value = true;
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "error: %s needs a value (%s)\n", shown.c_str(),
                     flag->placeholder.c_str());
        exit_code_ = 2;
        return false;
      }
      value = argv[++i];
    }
    if (!Assign(flag, value)) {
      exit_code_ = 2;
      return false;
    }
  }
  return true;
}

void FlagParser::PrintUsage() const {
  std::fprintf(stderr, "usage: %s\n\n%s\n\n", usage_.c_str(), description_.c_str());
  for (const Flag& f : flags_) {
    std::string left = f.short_name.empty() ? "      --" + f.name : "  -" + f.short_name + ", --" + f.name;
    if (f.kind != Kind::kBool) left += " " + f.placeholder;
    std::fprintf(stderr, "%-30s %s", left.c_str(), f.help.c_str());
    if (!f.default_text.empty()) std::fprintf(stderr, " (default: %s)", f.default_text.c_str());
    std::fprintf(stderr, "\n");
  }
}

int64_t* AddThreadsFlag(FlagParser* flags, const std::string& help) {
  int64_t* threads = flags->Int("threads", 0, help, "N");
  flags->Alias("t", "threads");
  flags->Check("threads", [](int64_t n) { return ThreadCountProblem(n); });
  return threads;
}

std::string* AddWeightsFlag(FlagParser* flags) {
  return flags->String("weights", "none",
                       "quantize a float checkpoint's weights at load: none, q8 or q4 "
                       "(config: engine.weights; `corgi quantize` writes them once)",
                       "FORMAT");
}

}  // namespace corgi::cli
