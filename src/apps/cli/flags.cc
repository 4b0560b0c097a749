#include "apps/cli/flags.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace corgi::cli {

FlagParser::FlagParser(std::string usage, std::string description)
    : usage_(std::move(usage)), description_(std::move(description)) {}

std::string* FlagParser::String(const std::string& name, const std::string& default_value,
                                const std::string& help) {
  strings_.push_back(default_value);
  flags_.push_back({name, Kind::kString, help, default_value, &strings_.back()});
  return &strings_.back();
}

std::vector<std::string>* FlagParser::Strings(const std::string& name, const std::string& help) {
  string_lists_.emplace_back();
  flags_.push_back({name, Kind::kStrings, help, "", &string_lists_.back()});
  return &string_lists_.back();
}

int64_t* FlagParser::Int(const std::string& name, int64_t default_value, const std::string& help) {
  ints_.push_back(default_value);
  flags_.push_back({name, Kind::kInt, help, std::to_string(default_value), &ints_.back()});
  return &ints_.back();
}

double* FlagParser::Double(const std::string& name, double default_value, const std::string& help) {
  doubles_.push_back(default_value);
  char text[32];
  std::snprintf(text, sizeof(text), "%g", default_value);
  flags_.push_back({name, Kind::kDouble, help, text, &doubles_.back()});
  return &doubles_.back();
}

bool* FlagParser::Bool(const std::string& name, const std::string& help) {
  bools_.push_back(false);
  flags_.push_back({name, Kind::kBool, help, "", &bools_.back()});
  return &bools_.back();
}

FlagParser::Flag* FlagParser::Find(const std::string& name) {
  for (Flag& f : flags_)
    if (f.name == name) return &f;
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

bool FlagParser::Parse(int argc, char** argv) {
  bool only_positional = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (only_positional || arg.size() < 2 || arg.compare(0, 2, "--") != 0) {
      positional_.push_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    if (arg == "--help" || arg == "-h") {
      PrintUsage();
      exit_code_ = 0;
      return false;
    }
    std::string name = arg.substr(2), value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    Flag* flag = Find(name);
    if (flag == nullptr) {
      std::fprintf(stderr, "error: unknown flag --%s\n\n", name.c_str());
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
        std::fprintf(stderr, "error: --%s needs a value\n", name.c_str());
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
    std::string left = "  --" + f.name;
    if (f.kind != Kind::kBool) left += " VALUE";
    std::fprintf(stderr, "%-28s %s", left.c_str(), f.help.c_str());
    if (!f.default_text.empty()) std::fprintf(stderr, " (default: %s)", f.default_text.c_str());
    std::fprintf(stderr, "\n");
  }
}

}  // namespace corgi::cli
