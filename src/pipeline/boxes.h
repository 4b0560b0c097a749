// Box geometry of the pipeline: the ONE model-aware conversion between a model's native
// grounding space and normalized boxes (PIPELINE.md "Coordinates"), IoU, greedy NMS and
// crop geometry. Internally every box is normalized [x1, y1, x2, y2] in [0, 1], (0, 0)
// at the top left.
//
// Thread-safety: pure functions and plain values.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/image/image.h"
#include "corgi/pipeline/result.h"
#include "corgi/pipeline/vlm.h"

namespace corgi::pipeline {

// The coordinate frame a model writes boxes in. A model coordinate v maps to the
// normalized v / scale_x (or / scale_y): Qwen3-VL divides by 1000 (never 999),
// Qwen2.5-VL by the smart-resized model-input width and height.
struct BoxFrame {
  GroundingSpace space = GroundingSpace::kRelative1000;
  double scale_x = 1000;
  double scale_y = 1000;

  static BoxFrame Relative1000();
  // input_width x input_height: the model-input size (ModelInputSize of the Vlm).
  static BoxFrame ResizedInputPixels(int64_t input_width, int64_t input_height);
  // The frame `vlm` uses for an image of this size. Errors: those of ModelInputSize.
  static StatusOr<BoxFrame> For(const Vlm& vlm, int64_t image_height, int64_t image_width);
  // "integers 0..1000 relative to the image" or "pixels of the 812x616 image", for prompts.
  std::string Describe() const;
};

// Converts a model box to a normalized one: corners swapped if reversed, clamped to
// [0, 1]. Returns nullopt (with a warning appended) for a non-finite coordinate or a
// box with zero area after clamping. Each repair appends a warning naming `what`.
std::optional<Box> FromModelBox(const std::array<double, 4>& raw, const BoxFrame& frame,
                                const std::string& what, std::vector<std::string>* warnings);

// The inverse, for prompts: normalized -> model integers (rounded to nearest).
std::array<int64_t, 4> ToModelBox(const Box& box, const BoxFrame& frame);
// "[x1, y1, x2, y2]" in the model's space.
std::string ModelBoxText(const Box& box, const BoxFrame& frame);

// Intersection over union; 0 when either box has no area.
double Iou(const Box& a, const Box& b);

// Greedy NMS: a box whose IoU with an already kept box is > `iou_threshold` is dropped.
// Boxes are visited from the most confident when every box has a confidence (ties keep
// the output order), so of two overlapping boxes the more confident one stays; else in
// the given order (earlier boxes win). Returns the indices kept, in the order visited.
std::vector<size_t> NmsIndices(const std::vector<Box>& boxes,
                               const std::vector<std::optional<double>>& confidences,
                               double iou_threshold);
// NmsIndices without confidences, as boxes.
std::vector<Box> Nms(const std::vector<Box>& boxes, double iou_threshold);

// The box grown by `expand` x its width (height) on each side, clamped to [0, 1].
Box ExpandBox(const Box& box, double expand);

// The smallest crop, in pixels, a model takes without scaling it up: the model-input
// size of a 1x1 image (smart_resize scales anything below min_pixels up to it, in
// multiples of patch x merge), e.g. 256x256 for Qwen3-VL, 56x56 for Qwen2.5-VL.
struct CropMinimum {
  int64_t width = 1, height = 1;
};
// Errors: those of vlm.ModelInputSize.
StatusOr<CropMinimum> CropMinimumFor(const Vlm& vlm);

// `box` grown around its centre until it spans at least minimum.width x minimum.height
// pixels of an image_width x image_height image (each side separately), shifted back
// inside the image where it would cross an edge; never larger than the image.
Box PadToMinimum(const Box& box, int64_t image_width, int64_t image_height,
                 const CropMinimum& minimum);

// The region cut for evidence: ExpandBox, then PadToMinimum for an image of that size.
Box EvidenceCropBox(const Box& box, double expand, int64_t image_width, int64_t image_height,
                    const CropMinimum& minimum = {});
// The crop of `image` at EvidenceCropBox, by the image layer's CropNormalized.
// InvalidArgument for an empty image.
StatusOr<RgbImage> CropForEvidence(const RgbImage& image, const Box& box, double expand,
                                   const CropMinimum& minimum = {});

// Exact equality of two boxes (dedup of identical (box, kind) pairs).
bool SameBox(const Box& a, const Box& b);

}  // namespace corgi::pipeline
