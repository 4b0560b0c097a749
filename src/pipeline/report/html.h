// report.html: one self-contained page (inline CSS, images as base64 data URIs, no
// scripts, no external requests). Every string that came from the model, the user or the
// file system goes through HtmlEscape.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "corgi/pipeline/result.h"

namespace corgi::pipeline::report_internal {

// Text safe inside an element or a quoted attribute: & < > " ' become entities; invalid
// UTF-8 becomes U+FFFD; control characters other than tab, newline and carriage return
// are dropped (they are not allowed in HTML).
std::string HtmlEscape(std::string_view text);

// RFC 4648 base64 with padding.
std::string Base64Encode(std::string_view bytes);

// "data:image/png;base64,..." with the MIME type taken from the bytes' magic (PNG, JPEG,
// WebP); "application/octet-stream" when unrecognized.
std::string ImageDataUri(std::string_view bytes);

// The encoded images the page embeds. Empty bytes mean "not available"; the page then
// says why (`*_note`) instead of showing a broken image.
struct ReportImages {
  std::string annotated;  // PNG or JPEG bytes
  std::string original;
  std::vector<std::string> crops;       // one per result.evidence (same order)
  std::vector<std::string> crop_notes;  // why a crop is missing, one per evidence
  std::vector<std::string> key_crops;   // one per result.key_evidence
  std::string annotated_note;
};

// The whole page. `images` vectors shorter than the result's lists count as missing.
std::string BuildReportHtml(const Result& result, const ReportImages& images);

// The stylesheet (report_css.cc).
extern const char kReportCss[];

}  // namespace corgi::pipeline::report_internal
