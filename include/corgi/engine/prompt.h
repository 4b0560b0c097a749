// Turns a request's messages into what the model consumes: token ids with image
// placeholders, the images' patches and grids, the rows of image tokens, and the
// 3-axis positions, through the model family's chat template and position rules. Every consistency check happens here, before any model work.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "corgi/core/hash.h"
#include "corgi/core/status.h"
#include "corgi/core/thread_pool.h"
#include "corgi/image/preprocess.h"
#include "corgi/model/image_grid.h"
#include "corgi/model/loaded_model.h"
#include "corgi/model/mrope_positions.h"

namespace corgi {

struct Message;

// One image of a prompt.
struct PromptImage {
  std::shared_ptr<const RgbImage> rgb;
  Hash128 key;            // vision-cache key: pixels, size, preprocessing, model identity
  int64_t first_row = 0;  // row of its first <|image_pad|> token
  int64_t tokens = 0;     // its <|image_pad|> tokens (merged patches)
};

struct PreparedPrompt {
  std::vector<int32_t> tokens;             // [S]
  std::vector<ImageGrid> grids;   // one per image, prompt order
  std::vector<PromptImage> images;         // one per image, prompt order
  std::vector<float> pixel_values;         // [Σ patches, C*T*P*P]; empty unless with_pixels
  std::vector<int64_t> visual_rows;        // indices of <|image_pad|> tokens, in order
  TextPositions positions;        // [3, S] and rope_delta
};

// Errors: InvalidArgument (bad roles, an image in a non-user message, an image that
// preprocessing rejects, placeholder tokens typed into text that break the image/token
// correspondence), OutOfRange (an image above the pixel limit). With with_pixels false
// the images are only planned (sizes, keys), not resized: the engine preprocesses only
// those the vision cache lacks (PreprocessPromptImage).
StatusOr<PreparedPrompt> PreparePrompt(const LoadedModel& model, const std::vector<Message>& messages,
                                       const VisionPreprocessParams& params, ThreadPool* pool,
                                       bool with_pixels = true);

// The patches of one planned image [patches, C*T*P*P], checked against its planned grid.
StatusOr<std::vector<float>> PreprocessPromptImage(const PreparedPrompt& prompt, size_t image,
                                                   const VisionPreprocessParams& params, ThreadPool* pool);

}  // namespace corgi
