#include "pipeline/config/yaml_document.h"

#include <sstream>
#include <vector>

namespace corgi::pipeline {
namespace {

// Sees a document's events and keeps only where each document starts.
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;

  void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

}  // namespace

YamlDocument LoadOneYamlDocument(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts events;
  // Two documents at most: the first is the one we want, a second is an error. Bounding
  // the loop is the point (LoadAll's unbounded one is what never ends).
  for (int i = 0; i < 2 && parser.HandleNextDocument(events); ++i) {
  }
  YamlDocument doc;
  if (events.starts.empty()) return doc;
  doc.root = YAML::Load(text);
  if (events.starts.size() > 1) doc.second_start = events.starts[1];
  return doc;
}

}  // namespace corgi::pipeline
