#include "pipeline/boxes.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "corgi/image/preprocess.h"

namespace corgi::pipeline {

BoxFrame BoxFrame::Relative1000() { return BoxFrame{GroundingSpace::kRelative1000, 1000, 1000}; }

BoxFrame BoxFrame::ResizedInputPixels(int64_t input_width, int64_t input_height) {
  return BoxFrame{GroundingSpace::kResizedInputPixels, static_cast<double>(input_width),
                  static_cast<double>(input_height)};
}

StatusOr<BoxFrame> BoxFrame::For(const Vlm& vlm, int64_t image_height, int64_t image_width) {
  if (vlm.grounding_space() == GroundingSpace::kRelative1000) return Relative1000();
  CORGI_ASSIGN_OR_RETURN(auto hw, vlm.ModelInputSize(image_height, image_width));
  if (hw.first <= 0 || hw.second <= 0) {
    return InternalError("model input size must be positive for pixel-space grounding");
  }
  return ResizedInputPixels(hw.second, hw.first);
}

std::string BoxFrame::Describe() const {
  std::ostringstream s;
  if (space == GroundingSpace::kRelative1000) {
    s << "integers from 0 to 1000 relative to the image width and height ((0,0) is the top-left "
         "corner, (1000,1000) the bottom-right)";
  } else {
    s << "integer pixel coordinates of the " << static_cast<int64_t>(scale_x) << "x"
      << static_cast<int64_t>(scale_y) << " image ((0,0) is the top-left corner)";
  }
  return s.str();
}

std::optional<Box> FromModelBox(const std::array<double, 4>& raw, const BoxFrame& frame,
                                const std::string& what, std::vector<std::string>* warnings) {
  for (double v : raw) {
    if (!std::isfinite(v)) {
      warnings->push_back(what + ": box has a non-finite coordinate; dropped");
      return std::nullopt;
    }
  }
  double x1 = raw[0] / frame.scale_x, y1 = raw[1] / frame.scale_y;
  double x2 = raw[2] / frame.scale_x, y2 = raw[3] / frame.scale_y;
  if (x1 > x2 || y1 > y2) {
    warnings->push_back(what + ": box corners were swapped; fixed");
    if (x1 > x2) std::swap(x1, x2);
    if (y1 > y2) std::swap(y1, y2);
  }
  auto clamp01 = [](double v) { return std::clamp(v, 0.0, 1.0); };
  Box box{clamp01(x1), clamp01(y1), clamp01(x2), clamp01(y2)};
  if (box.x1 != x1 || box.y1 != y1 || box.x2 != x2 || box.y2 != y2) {
    warnings->push_back(what + ": box extends outside the image; clamped");
  }
  if (!(box.x2 > box.x1 && box.y2 > box.y1)) {
    warnings->push_back(what + ": box has zero area; dropped");
    return std::nullopt;
  }
  return box;
}

std::array<int64_t, 4> ToModelBox(const Box& box, const BoxFrame& frame) {
  return {std::llround(box.x1 * frame.scale_x), std::llround(box.y1 * frame.scale_y),
          std::llround(box.x2 * frame.scale_x), std::llround(box.y2 * frame.scale_y)};
}

std::string ModelBoxText(const Box& box, const BoxFrame& frame) {
  auto v = ToModelBox(box, frame);
  std::ostringstream s;
  s << "[" << v[0] << ", " << v[1] << ", " << v[2] << ", " << v[3] << "]";
  return s.str();
}

double Iou(const Box& a, const Box& b) {
  double ix = std::max(0.0, std::min(a.x2, b.x2) - std::max(a.x1, b.x1));
  double iy = std::max(0.0, std::min(a.y2, b.y2) - std::max(a.y1, b.y1));
  double inter = ix * iy;
  double uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0;
}

std::vector<size_t> NmsIndices(const std::vector<Box>& boxes,
                               const std::vector<std::optional<double>>& confidences,
                               double iou_threshold) {
  std::vector<size_t> order(boxes.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  bool scored = confidences.size() == boxes.size() &&
                std::all_of(confidences.begin(), confidences.end(),
                            [](const std::optional<double>& c) { return c.has_value(); });
  if (scored) {
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return *confidences[a] > *confidences[b]; });
  }
  std::vector<size_t> kept;
  for (size_t i : order) {
    bool suppressed = std::any_of(kept.begin(), kept.end(), [&](size_t k) {
      return Iou(boxes[i], boxes[k]) > iou_threshold;
    });
    if (!suppressed) kept.push_back(i);
  }
  return kept;
}

std::vector<Box> Nms(const std::vector<Box>& boxes, double iou_threshold) {
  std::vector<Box> kept;
  for (size_t i : NmsIndices(boxes, {}, iou_threshold)) kept.push_back(boxes[i]);
  return kept;
}

Box ExpandBox(const Box& box, double expand) {
  double dx = (box.x2 - box.x1) * expand, dy = (box.y2 - box.y1) * expand;
  return Box{std::max(0.0, box.x1 - dx), std::max(0.0, box.y1 - dy), std::min(1.0, box.x2 + dx),
             std::min(1.0, box.y2 + dy)};
}

StatusOr<CropMinimum> CropMinimumFor(const Vlm& vlm) {
  CORGI_ASSIGN_OR_RETURN(auto hw, vlm.ModelInputSize(1, 1));
  return CropMinimum{std::max<int64_t>(1, hw.second), std::max<int64_t>(1, hw.first)};
}

Box PadToMinimum(const Box& box, int64_t image_width, int64_t image_height,
                 const CropMinimum& minimum) {
  // One side: [lo, hi] grown to `want` (a fraction of the image) around its centre.
  auto pad = [](double* lo, double* hi, int64_t size, int64_t min_pixels) {
    if (size <= 0) return;
    double want = std::min(1.0, static_cast<double>(min_pixels) / static_cast<double>(size));
    if (*hi - *lo >= want) return;
    double centre = (*lo + *hi) / 2;
    *lo = centre - want / 2;
    *hi = centre + want / 2;
    double shift = *lo < 0 ? -*lo : *hi > 1 ? 1 - *hi : 0;  // back inside the image
    *lo = std::max(0.0, *lo + shift);
    *hi = std::min(1.0, *hi + shift);
  };
  Box out = box;
  pad(&out.x1, &out.x2, image_width, minimum.width);
  pad(&out.y1, &out.y2, image_height, minimum.height);
  return out;
}

Box EvidenceCropBox(const Box& box, double expand, int64_t image_width, int64_t image_height,
                    const CropMinimum& minimum) {
  return PadToMinimum(ExpandBox(box, expand), image_width, image_height, minimum);
}

StatusOr<RgbImage> CropForEvidence(const RgbImage& image, const Box& box, double expand,
                                   const CropMinimum& minimum) {
  Box e = EvidenceCropBox(box, expand, image.width, image.height, minimum);
  return CropNormalized(image, {e.x1, e.y1, e.x2, e.y2});
}

bool SameBox(const Box& a, const Box& b) {
  return a.x1 == b.x1 && a.y1 == b.y1 && a.x2 == b.x2 && a.y2 == b.y2;
}

}  // namespace corgi::pipeline
