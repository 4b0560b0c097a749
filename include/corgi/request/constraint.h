// What a completion must look like: the constraint the local engine enforces with its
// grammar matcher (engine/constraint.h, which documents the exact language) and that a
// remote Vlm translates into the server's structured-output request where it can.
//
// Up to four consecutive parts:
//   [free text ending with `free_text_until`] [`prefix`] [JSON value per `json_schema`] [`suffix`]
// The reasoning call: free_text_until = "</THINKING>", prefix = "\n<STRUCTURED_STEPS>", a
// steps schema, suffix = "</STRUCTURED_STEPS>". Grounding and synthesis: just a schema.
#pragma once

#include <string>

namespace corgi {

struct Constraint {
  std::string free_text_until;  // empty: no free-text part
  std::string prefix;           // literal, may be empty
  std::string json_schema;      // JSON Schema text (the supported subset); empty: no JSON part
  std::string suffix;           // literal, may be empty
  bool empty() const {
    return free_text_until.empty() && prefix.empty() && json_schema.empty() && suffix.empty();
  }
};

}  // namespace corgi
