// Byte-level tests of the compiled grammar: what it accepts and rejects (checked
// against the JSON grammar and the schema keywords' meaning), exact shortest
// completions, and schema errors.
#include <gtest/gtest.h>

#include <deque>
#include <set>
#include <string>

#include "engine/constraint/grammar.h"
#include "engine/constraint/machine.h"
#include "engine/constraint/test_support.h"

namespace corgi::constraint {
namespace {

std::shared_ptr<const Grammar> MustCompile(const Constraint& c) {
  StatusOr<std::shared_ptr<const Grammar>> g = CompileGrammar(c);
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  return g.ok() ? *g : nullptr;
}

Constraint Json(const std::string& schema) {
  Constraint c;
  c.json_schema = schema;
  return c;
}

// 1: a complete output; 0: a valid prefix that is not complete; -1: invalid.
int Classify(const Constraint& c, const std::string& text) {
  auto g = MustCompile(c);
  if (!g) return -2;
  Machine m(g.get());
  State s = m.Initial();
  for (char ch : text) {
    if (!m.Step(&s, static_cast<uint8_t>(ch))) return -1;
  }
  return m.CanEnd(s) ? 1 : 0;
}

TEST(Grammar, IntegerBoundsArePrefixFeasible) {
  Constraint c = Json(R"({"type":"integer","minimum":0,"maximum":1000})");
  for (const char* ok : {"0", "7", "999", "1000", "100"}) EXPECT_EQ(Classify(c, ok), 1) << ok;
  for (const char* bad : {"1001", "-1", "-", "01", "00", "1e3", "10000", "1.0", " 5 "}) {
    EXPECT_EQ(Classify(c, bad), -1) << bad;
  }
  Constraint min1 = Json(R"({"type":"integer","minimum":1})");
  EXPECT_EQ(Classify(min1, "0"), -1);
  EXPECT_EQ(Classify(min1, "10"), 1);
  EXPECT_EQ(Classify(min1, "123456789012345678"), 1);
  EXPECT_EQ(Classify(min1, "1234567890123456789"), -1);  // kMaxIntegerDigits
  Constraint big = Json(R"({"type":"integer","minimum":500})");
  EXPECT_EQ(Classify(big, "5"), 0);   // "5" can still become 500..599
  EXPECT_EQ(Classify(big, "49"), 0);  // 490.. is too small but 4900 is fine
  Constraint neg = Json(R"({"type":"integer","minimum":-20,"maximum":-3})");
  EXPECT_EQ(Classify(neg, "-3"), 1);
  EXPECT_EQ(Classify(neg, "-20"), 1);
  EXPECT_EQ(Classify(neg, "-21"), -1);
  EXPECT_EQ(Classify(neg, "-2"), 0);
  EXPECT_EQ(Classify(neg, "-0"), -1);
  EXPECT_EQ(Classify(neg, "3"), -1);
}

TEST(Grammar, NumberBoundsWithFractions) {
  Constraint c = Json(R"({"type":"number","minimum":-1.5,"maximum":2.25})");
  for (const char* ok : {"-1.5", "2.25", "0", "-0.5", "2.2", "1", "0.000001", "-1.499999"}) {
    EXPECT_EQ(Classify(c, ok), 1) << ok;
  }
  for (const char* bad : {"2.26", "-1.51", "-0.000000", "3", "2.250001", "1.0000001", "1e0"}) {
    EXPECT_EQ(Classify(c, bad), -1) << bad;
  }
  EXPECT_EQ(Classify(c, "-0"), 0);  // not a value of its own ("-0.5" is)
  EXPECT_EQ(Classify(c, "-0.0"), 0);
  EXPECT_EQ(Classify(c, "2."), 0);
  EXPECT_EQ(Classify(Json(R"({"type":"number","minimum":0.1,"maximum":0.1})"), "0.1"), 1);
  EXPECT_EQ(Classify(Json(R"({"type":"number","minimum":0.5,"maximum":0.7})"), "0"), 0);
}

TEST(Grammar, StringsLengthsEscapesAndUtf8) {
  Constraint c = Json(R"({"type":"string","minLength":2,"maxLength":3})");
  EXPECT_EQ(Classify(c, "\"ab\""), 1);
  EXPECT_EQ(Classify(c, "\"a\""), -1);
  EXPECT_EQ(Classify(c, "\"abcd\""), -1);
  EXPECT_EQ(Classify(c, "\"\xC3\xA9\xE2\x82\xAC\""), 1);  // "é€": two code points
  EXPECT_EQ(Classify(c, "\"\\n\\u00e9\""), 1);
  EXPECT_EQ(Classify(c, "\"\\ud800\""), -1);     // lone surrogate
  EXPECT_EQ(Classify(c, "\"a\tb\""), -1);        // raw control character
  EXPECT_EQ(Classify(c, "\"\xC0\x80x\""), -1);   // overlong
  EXPECT_EQ(Classify(c, "\"ab\xE2\x82\""), -1);  // truncated character
  EXPECT_EQ(Classify(c, "\"\\q\""), -1);
  Constraint any = Json(R"({"type":"string"})");
  EXPECT_EQ(Classify(any, "\"\""), 1);
  EXPECT_EQ(Classify(any, "\"\xF0\x9F\x98\x80 \\\" \\\\ \\/\""), 1);
  EXPECT_EQ(Classify(any, "\"\xED\xA0\x80\""), -1);  // UTF-8-encoded surrogate
}

TEST(Grammar, EnumConstBooleanNull) {
  Constraint c = Json(R"({"enum":["red","green",1,12,null]})");
  for (const char* ok : {"\"red\"", "\"green\"", "1", "12", "null"})
    EXPECT_EQ(Classify(c, ok), 1) << ok;
  for (const char* bad : {"\"blue\"", "2", "123", "\"re\"", "true"})
    EXPECT_EQ(Classify(c, bad), -1) << bad;
  EXPECT_EQ(Classify(Json(R"({"const":"x"})"), "\"x\""), 1);
  EXPECT_EQ(Classify(Json(R"({"type":"boolean"})"), "false"), 1);
  EXPECT_EQ(Classify(Json(R"({"type":"boolean"})"), "\"false\""), -1);
  EXPECT_EQ(Classify(Json(R"({"type":["array","null"],"items":{"type":"integer"}})"), "null"), 1);
  EXPECT_EQ(Classify(Json(R"({"type":["array","null"],"items":{"type":"integer"}})"), "[1,2]"), 1);
}

TEST(Grammar, ObjectsKeepDeclaredOrderAndRequired) {
  Constraint c = Json(R"({"type":"object","properties":{"a":{"type":"integer"},
      "b":{"type":"integer"},"c":{"type":"integer"}},"required":["a","c"]})");
  EXPECT_EQ(Classify(c, R"({"a":1,"c":2})"), 1);
  EXPECT_EQ(Classify(c, R"({"a":1,"b":2,"c":3})"), 1);
  EXPECT_EQ(Classify(c, R"({ "a" : 1 ,  "c":2 }  )"), -1);  // trailing ws: no suffix follows
  EXPECT_EQ(Classify(c, "{\n \"a\" : 1 ,\t\"c\":2 }"), 1);
  EXPECT_EQ(Classify(c, R"({"c":1,"a":2})"), -1);
  EXPECT_EQ(Classify(c, R"({"a":1})"), -1);
  EXPECT_EQ(Classify(c, R"({"a":1,"c":2,"b":3})"), -1);
  EXPECT_EQ(Classify(c, R"({"a":1,"d":2})"), -1);
  EXPECT_EQ(Classify(c, R"({"a":1,   "c":2})"), -1);  // 3 whitespace bytes
  EXPECT_EQ(Classify(c, "{\"a\":1,\r\"c\":2}"), -1);
  EXPECT_EQ(Classify(Json(R"({"type":"object","properties":{"a":{"type":"integer"}}})"), "{}"), 1);
}

TEST(Grammar, ArraysCountItems) {
  Constraint c = Json(R"({"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":2})");
  EXPECT_EQ(Classify(c, "[]"), -1);
  EXPECT_EQ(Classify(c, "[1]"), 1);
  EXPECT_EQ(Classify(c, "[1, 2]"), 1);
  EXPECT_EQ(Classify(c, "[1,2,3]"), -1);
  EXPECT_EQ(Classify(c, "[1,]"), -1);
}

TEST(Grammar, FreeTextThenLiteralsThenJson) {
  Constraint c;
  c.free_text_until = "</THINKING>";
  c.prefix = "\n<S>";
  c.json_schema = R"({"type":"array","items":{"type":"integer"},"maxItems":2})";
  c.suffix = "</S>";
  EXPECT_EQ(Classify(c, "I think </THINK about it</THINKING>\n<S>[1,2]</S>"), 1);
  EXPECT_EQ(Classify(c, "</THINKING>\n<S> [ ]\n</S>"), 1);
  EXPECT_EQ(Classify(c, "x</THINKING>\n<S>[1,2]"), 0);
  EXPECT_EQ(Classify(c, "x</THINKING>y"), -1);
  EXPECT_EQ(Classify(c, "caf\xC3\xA9 \xE4\xB8\xAD</THINKING>\n<S>[]</S>"), 1);
  EXPECT_EQ(Classify(c, "bad \xC3 utf8"), -1);
  EXPECT_EQ(Classify(c, "x</THINKING>\n<S>[]</S>x"), -1);
  Constraint lit;
  lit.prefix = "abc";
  EXPECT_EQ(Classify(lit, "abc"), 1);
  EXPECT_EQ(Classify(lit, "abd"), -1);
}

// Shortest completion by breadth-first search over all bytes (states deduplicated).
int64_t BfsMinBytes(const Machine& m, const State& start, int max_depth) {
  std::set<std::string> seen;
  std::vector<State> frontier = {start};
  std::string key;
  for (int d = 0; d <= max_depth; ++d) {
    std::vector<State> next;
    for (const State& s : frontier) {
      if (m.CanEnd(s)) return d;
      for (int b = 0; b < 256; ++b) {
        State t = s;
        if (!m.Step(&t, static_cast<uint8_t>(b))) continue;
        m.Key(t, &key);
        if (seen.insert(key).second) next.push_back(t);
      }
    }
    frontier.swap(next);
  }
  return -1;
}

// Along `text`, MinBytes equals a brute-force search from every position where it is at
// most `bfs_limit`, and some byte always lowers it by exactly one.
void CheckMinBytesAlong(const Constraint& c, const std::string& text, int bfs_limit) {
  auto g = MustCompile(c);
  Machine m(g.get());
  State s = m.Initial();
  for (size_t i = 0; i <= text.size(); ++i) {
    const int64_t mb = m.MinBytes(s);
    if (mb <= bfs_limit) {
      EXPECT_EQ(BfsMinBytes(m, s, bfs_limit), mb) << "at byte " << i;
    }
    // Consistency: some byte lowers it by exactly one (the budget forcing relies on it).
    if (mb > 0) {
      int64_t best = kInf;
      for (int b = 0; b < 256; ++b) {
        State t = s;
        if (m.Step(&t, static_cast<uint8_t>(b))) best = std::min(best, m.MinBytes(t));
      }
      EXPECT_EQ(best, mb - 1) << "at byte " << i;
    }
    if (i < text.size()) {
      ASSERT_TRUE(m.Step(&s, static_cast<uint8_t>(text[i]))) << "at byte " << i;
    }
  }
  EXPECT_EQ(m.MinBytes(s), 0);
}

TEST(Grammar, MinBytesIsTheShortestCompletion) {
  Constraint c;
  c.free_text_until = "</T>";
  c.prefix = "\n";
  c.json_schema = testing::StepsSchema(2);
  c.suffix = "</S>";
  const std::string text =
      "ok "
      "\xE4\xB8\xAD</"
      "T>\n{\"steps\":[{\"index\":12,\"statement\":\"a\\u00e9\",\"need_object_captioning\":"
      "true,\"need_text_ocr\":false,\"bbox\":[1,20,300,1000]}]}</S>";
  CheckMinBytesAlong(c, text, 16);
  auto g = MustCompile(c);
  Machine m(g.get());
  const std::string min_steps = "</T>\n{\"steps\":[]}</S>";
  EXPECT_EQ(m.MinBytes(m.Initial()), static_cast<int64_t>(min_steps.size()));
}

TEST(Grammar, FreeObjectTakesAnyJsonObject) {
  const Constraint c = Json(R"({"type":"object"})");
  for (const char* ok : {
           "{}",
           R"({"a":1})",
           R"({"b":"x","a":2})",
           R"({"n":-12.5,"t":true,"f":false,"z":null,"s":"","e":0,"d":0.25})",
           R"({"arr":[1,[2,[]],{"o":{}},"s",null],"o":{"p":{"q":[]}}})",
           R"({"k \"q\" \\ \/ \u00e9\n":"v\t\b\f\r"})",
           "{\"\xC3\xA9\":\"\xE4\xB8\xAD\xF0\x9F\x98\x80\"}",
           "{ \"a\" :\n[ 1 ,\t2 ] , \"b\":{ } }",
           R"({"":""})",
           R"({"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":1}}}}}}}})",  // 8 containers
           R"({"a":[[[[[[["x"]]]]]]]})",
       }) {
    EXPECT_EQ(Classify(c, ok), 1) << ok;
  }
  for (const char* bad : {
           "[]", "\"x\"", "1", "null", R"({"a"})", R"({"a":})", "{a:1}", R"({"a":1,})", "{,}",
           R"({"a":1 "b":2})", R"({"a":01})", R"({"a":tru})", R"({"a":1.})", R"({"a":"\q"})",
           R"({"a":1}})", R"({"a":NaN})", "{'a':1}", R"({"a":[1,]})", "{\"a\x01\":1}",
           R"({"a":"\ud800"})", R"({"a":1e5})", "{\"a\":1}   ", R"({"a"   :1})",
           R"({"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{}}}}}}}}})",  // 9 containers
           R"({"a":[[[[[[[[]]]]]]]]})",
       }) {
    EXPECT_EQ(Classify(c, bad), -1) << bad;
  }
  EXPECT_EQ(Classify(c, R"({"a":)"), 0);
  EXPECT_EQ(Classify(c, R"({"a":[{"b":"c)"), 0);
  // An object with no properties listed is free too, unless additionalProperties is false.
  EXPECT_EQ(Classify(Json(R"({"type":"object","properties":{}})"), R"({"a":[]})"), 1);
  EXPECT_EQ(Classify(Json(R"({"type":"object","additionalProperties":true})"), R"({"a":1})"), 1);
  EXPECT_EQ(Classify(Json(R"({"type":"object","additionalProperties":false})"), R"({"a":1})"), -1);
  EXPECT_EQ(Classify(Json(R"({"type":"object","additionalProperties":false})"), "{}"), 1);
  // additionalProperties as a schema types every value.
  const Constraint ints = Json(R"({"type":"object","additionalProperties":{"type":"integer"}})");
  EXPECT_EQ(Classify(ints, R"({"a":1,"b":-2})"), 1);
  EXPECT_EQ(Classify(ints, R"({"a":"1"})"), -1);
  EXPECT_EQ(Classify(ints, R"({"a":1.5})"), -1);
  // Nested in a schema: "meta" takes any object.
  const Constraint nested = Json(R"({"type":"object","properties":{"meta":{"type":"object"},
      "n":{"type":"integer"}},"required":["meta","n"]})");
  EXPECT_EQ(Classify(nested, R"({"meta":{"x":[1,{"y":null}]},"n":3})"), 1);
  EXPECT_EQ(Classify(nested, R"({"meta":{},"n":3})"), 1);
  EXPECT_EQ(Classify(nested, R"({"meta":[],"n":3})"), -1);
}

TEST(Grammar, UntypedSchemaTakesAnyValue) {
  const Constraint c = Json(R"({"description":"anything"})");
  for (const char* ok : {"1", "-0.5", "\"s\"", "null", "true", "[]", R"([1,{"a":null}])",
                         R"({"x":[]})", R"([[[[[[[["deep"]]]]]]]])"}) {
    EXPECT_EQ(Classify(c, ok), 1) << ok;
  }
  EXPECT_EQ(Classify(c, R"([[[[[[[[[]]]]]]]]])"), -1);  // 9 containers
  EXPECT_EQ(Classify(c, "nul"), 0);
  EXPECT_EQ(Classify(c, "x"), -1);
  // Keywords imply their type; arrays without items take any items.
  EXPECT_EQ(Classify(Json(R"({"properties":{"a":{"type":"integer"}}})"), R"({"a":1})"), 1);
  EXPECT_EQ(Classify(Json(R"({"properties":{"a":{"type":"integer"}}})"), "1"), -1);
  EXPECT_EQ(Classify(Json(R"({"maxLength":2})"), "\"ab\""), 1);
  EXPECT_EQ(Classify(Json(R"({"maxLength":2})"), "\"abc\""), -1);
  EXPECT_EQ(Classify(Json(R"({"type":"array","maxItems":2})"), R"([{"a":1},"b"])"), 1);
  EXPECT_EQ(Classify(Json(R"({"type":"array","maxItems":2})"), "[1,2,3]"), -1);
  EXPECT_EQ(Classify(Json(R"({"type":["object","null"]})"), R"({"a":1})"), 1);
  EXPECT_EQ(Classify(Json(R"({"type":["object","null"]})"), "null"), 1);
}

// The depth limit holds wherever a free value sits: deep in a schema it nests less.
TEST(Grammar, FreeValuesStayWithinTheStateStack) {
  std::string schema = R"({"type":"object"})";
  std::string text = "{}";
  for (int d = 1; d < kMaxDepth - 1; ++d) {
    schema = R"({"type":"array","items":)" + schema + "}";
    text = "[" + text + "]";
  }
  // The free object sits at the deepest level the stack allows: only {} fits.
  EXPECT_EQ(Classify(Json(schema), text), 1);
  EXPECT_EQ(Classify(Json(schema), text.substr(0, kMaxDepth - 2) + R"({"a":1})"), -1);
  // One level up it takes scalar values only.
  std::string up = R"({"type":"object"})";
  for (int d = 1; d < kMaxDepth - 2; ++d) up = R"({"type":"array","items":)" + up + "}";
  const std::string open(kMaxDepth - 3, '[');
  EXPECT_EQ(Classify(Json(up), open + R"({"a":"x"})" + std::string(kMaxDepth - 3, ']')), 1);
  EXPECT_EQ(Classify(Json(up), open + R"({"a":[)"), -1);
}

TEST(Grammar, FreeObjectMinBytesIsExact) {
  CheckMinBytesAlong(Json(R"({"type":"object"})"),
                     R"({"a":[1,{"b":"c\u00e9"},[]],"dd":{"e":{"f":[true,-0.5]}}, "g" : null})",
                     5);
  Constraint c;
  c.prefix = "<J>";
  c.json_schema = R"({"type":"object","properties":{"m":{"type":"object"}},"required":["m"]})";
  c.suffix = "</J>";
  CheckMinBytesAlong(c, R"(<J>{"m":{"x":[{"y":"z"}]}} </J>)", 6);
  auto g = MustCompile(Json(R"({"type":"object"})"));
  Machine m(g.get());
  EXPECT_EQ(m.MinBytes(m.Initial()), 2);  // {}
}

void ExpectSchemaError(const std::string& schema, const std::string& needle) {
  StatusOr<std::shared_ptr<const Grammar>> g = CompileGrammar(Json(schema));
  ASSERT_FALSE(g.ok()) << schema;
  EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(g.status().message().find(needle), std::string::npos) << g.status().message();
}

TEST(Grammar, SchemaErrorsNameTheProblem) {
  ExpectSchemaError(R"({"type":"string","pattern":"^a"})", "'pattern'");
  ExpectSchemaError(R"({"$ref":"#/defs/x"})", "'$ref'");
  ExpectSchemaError(R"({"type":"object","properties":{"a":{"type":"null"}},
      "additionalProperties":true})",
                    "additionalProperties");
  ExpectSchemaError(R"({"type":"object","required":["x"]})", "required");
  ExpectSchemaError(R"({"items":{"type":"null"},"minLength":1})", "several types");
  ExpectSchemaError(R"({"anyOf":[{"type":"string"},{"type":"string","maxLength":3}]})", "anyOf");
  ExpectSchemaError(R"({"type":"array","items":{"type":"integer"},"minItems":3,"maxItems":2})",
                    "minItems");
  ExpectSchemaError(R"({"type":"object","properties":{},"required":["x"]})", "required");
  ExpectSchemaError(R"({"type":"integer","minimum":0.2,"maximum":0.8})", "minimum");
  ExpectSchemaError(R"({"type":"date"})", "date");
  ExpectSchemaError(
      R"({"type":"object","properties":{"a":{"type":"string","exclusiveMinimum":1}}})",
      "schema.properties.a");
  ExpectSchemaError(R"({"type":)", "not valid JSON");
  ExpectSchemaError(R"({"enum":[[1]]})", "scalars");
  EXPECT_EQ(CompileGrammar(Constraint{}).status().code(), StatusCode::kInvalidArgument);
  Constraint bad_tag;
  bad_tag.free_text_until = "\xC3";
  EXPECT_EQ(CompileGrammar(bad_tag).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace corgi::constraint
