#include "pipeline/json_repair.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace corgi::pipeline {
namespace {

std::optional<std::string> Repair(const std::string& text, bool truncation = false) {
  std::optional<RepairedJson> r = RepairJson(text, 0, RepairOptions{truncation});
  if (!r) return std::nullopt;
  EXPECT_TRUE(nlohmann::json::accept(r->json)) << r->json;
  return nlohmann::json::parse(r->json).dump();
}

TEST(JsonRepairTest, ValidJsonIsUnchangedAndUnmarked) {
  auto r = RepairJson(R"(x {"a": [1, -2.5e3, true, null, "s\"\u00e9"]} tail)", 0, {});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->json, R"({"a": [1, -2.5e3, true, null, "s\"\u00e9"]})");
  EXPECT_TRUE(r->repairs.empty());
  EXPECT_TRUE(r->open_at_end.empty());
}

TEST(JsonRepairTest, UnambiguousMistakesAreRepaired) {
  EXPECT_EQ(Repair(R"({"a": 1, "b": [1, 2,],})"), R"({"a":1,"b":[1,2]})");
  EXPECT_EQ(Repair("{\"a\": 1\n\"b\": 2}"), R"({"a":1,"b":2})");
  EXPECT_EQ(Repair("[{\"a\": 1} {\"a\": 2}]"), R"([{"a":1},{"a":2}])");
  EXPECT_EQ(Repair("{'a': 'it's', 'b': \"x\"}"), R"({"a":"it's","b":"x"})");
  EXPECT_EQ(Repair("{a: True, b_2: None, c: False}"), R"({"a":true,"b_2":null,"c":false})");
  EXPECT_EQ(Repair("{\"a\": \"line\nnext\ttab\"}"), R"({"a":"line\nnext\ttab"})");
  EXPECT_EQ(Repair(R"({"path": "C:\dir"})"), R"({"path":"C:\\dir"})");
  EXPECT_EQ(Repair(R"({'q': 'say "hi"'})"), R"({"q":"say \"hi\""})");
}

TEST(JsonRepairTest, AmbiguousTextIsNotRepaired) {
  for (const char* bad : {R"({"a": })", R"([1,, 2])", R"({"a" 1})", R"({"a": [1}})",
                          R"({"a": NaN})", R"({"a": "x" // note
})", R"({"a": "b" "c"})", "plain text", R"({"a": "cut)"}) {
    EXPECT_FALSE(RepairJson(bad, 0, {}).has_value()) << bad;
  }
}

TEST(JsonRepairTest, TruncationKeepsOnlyWhatIsComplete) {
  EXPECT_EQ(Repair(R"({"a": "cut here)", true), R"({"a":"cut here"})");
  EXPECT_EQ(Repair(R"({"a": [1, 2, 3)", true), R"({"a":[1,2]})");  // 3 may be 30
  EXPECT_EQ(Repair(R"({"a": 1, "b": )", true), R"({"a":1})");
  EXPECT_EQ(Repair(R"({"a": 1, "b)", true), R"({"a":1})");
  EXPECT_EQ(Repair(R"({"a": 1, "b")", true), R"({"a":1})");
  EXPECT_EQ(Repair(R"({"a": tr)", true), "{}");
  EXPECT_EQ(Repair(R"({"a": "x\)", true), R"({"a":"x"})");
  auto r = RepairJson(R"({"steps": [{"s": "a"}, {"s": "b)", 0, RepairOptions{true});
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->open_at_end, "{[{");
  EXPECT_FALSE(RepairJson("[", 5, RepairOptions{true}).has_value());
}

}  // namespace
}  // namespace corgi::pipeline
