// A Constraint (corgi/request/constraint.h) as a GBNF grammar, for servers that take a
// grammar with a chat request: llama-server (`grammar`), vLLM (`structured_outputs.grammar`,
// xgrammar's EBNF) and SGLang (`ebnf`). All three read the GBNF subset written here:
// rules `name ::= ...`, literals, character classes, grouping, `?`, `*`.
//
// The free-text part is "any text up to and including the first `free_text_until`" (an
// automaton over the literal's prefixes, so the text cannot contain the literal earlier);
// the JSON part follows the schema where it uses type/properties/required/items/minItems/
// maxItems/enum/const/anyOf, and is any JSON value elsewhere (a server cannot enforce
// maxLength or numeric bounds through GBNF; corgi's parsers check those). Whitespace
// inside JSON: at most one space or newline between tokens.
#pragma once

#include <string>

#include "corgi/core/status.h"
#include "corgi/request/constraint.h"

namespace corgi::pipeline::remote {

// InvalidArgument for an empty constraint or a schema that is not valid JSON.
StatusOr<std::string> ConstraintToGbnf(const Constraint& constraint);

}  // namespace corgi::pipeline::remote
