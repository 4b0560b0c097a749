// OcrEngine on Debian's libtesseract (LSTM engine). A fixed pool of TessBaseAPI
// instances, one per concurrent Recognize call, because a TessBaseAPI is not thread-safe.
#include <dlfcn.h>
#include <tesseract/baseapi.h>
#include <tesseract/resultiterator.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "corgi/core/log.h"
#include "corgi/image/resize.h"
#include "corgi/pipeline/ocr.h"

namespace corgi::pipeline {
namespace {

// Tesseract's box coordinates are int16 (TBOX), so larger images cannot be represented.
constexpr int64_t kMaxTesseractSide = 32767;
// Crops carry no resolution; 300 ppi is what Tesseract's size heuristics are tuned for
// (an unset resolution makes it warn and guess 70).
constexpr int kSourcePpi = 300;

// libtesseract is built with OpenMP (libgomp). Its LSTM asks for several threads per
// parallel region, and on a busy machine those threads spin: eurotext took 1.2–2.5 s
// wall with OpenMP against 0.33 s with OMP_THREAD_LIMIT=1 (docs/PERFORMANCE.md). corgi
// parallelises across crops instead, so every parallel region Tesseract opens on the
// calling thread is made single-threaded (max-active-levels 0 is a per-thread setting
// in OpenMP 5). Looked up at run time: no OpenMP link dependency, a no-op without it.
void SerializeOpenMpOnThisThread() {
  using SetLevelsFn = void (*)(int);
  static const SetLevelsFn set_levels =
      reinterpret_cast<SetLevelsFn>(dlsym(RTLD_DEFAULT, "omp_set_max_active_levels"));
  if (set_levels != nullptr) set_levels(0);
}

// Debian package names use '-' where Tesseract codes use '_' (chi_sim -> chi-sim).
std::string DebianPackageFor(std::string lang) {
  std::replace(lang.begin(), lang.end(), '_', '-');
  std::transform(lang.begin(), lang.end(), lang.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lang.rfind("script/", 0) == 0) lang = "script-" + lang.substr(7);
  return "tesseract-ocr-" + lang;
}

std::vector<std::string> SplitLanguages(const std::string& languages) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= languages.size()) {
    size_t end = languages.find('+', start);
    if (end == std::string::npos) end = languages.size();
    if (end > start) out.push_back(languages.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

Status ValidateOptions(const OcrOptions& o) {
  if (o.workers < 1 || o.workers > 256) {
    return InvalidArgumentError("ocr workers must be in [1, 256], got " +
                                std::to_string(o.workers));
  }
  if (o.max_upscale < 1 || o.max_upscale > 16) {
    return InvalidArgumentError("ocr max_upscale must be in [1, 16], got " +
                                std::to_string(o.max_upscale));
  }
  if (o.min_text_height < 0) return InvalidArgumentError("ocr min_text_height must be >= 0");
  const int64_t psm = o.page_segmentation;
  if (psm < 1 || psm >= tesseract::PSM_COUNT || psm == tesseract::PSM_AUTO_ONLY) {
    return InvalidArgumentError("ocr page_segmentation must be 1 or 3-13 (Tesseract --psm), got " +
                                std::to_string(psm));
  }
  if (SplitLanguages(o.languages).empty()) {
    return InvalidArgumentError("ocr languages is empty (e.g. \"eng\" or \"eng+deu\")");
  }
  for (char c : o.languages) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '+' && c != '-' &&
        c != '/') {
      return InvalidArgumentError("ocr languages has an invalid character: \"" + o.languages +
                                  "\"");
    }
  }
  return Status::Ok();
}

// The integer factor that brings a crop of `height` rows up to `min_height`, capped by
// `max_factor` and by Tesseract's largest side.
int64_t UpscaleFactor(int64_t height, int64_t width, int64_t min_height, int64_t max_factor) {
  if (height >= min_height) return 1;
  int64_t factor = std::min((min_height + height - 1) / height, max_factor);
  const int64_t side = std::max(height, width);
  factor = std::min(factor, kMaxTesseractSide / side);
  return std::max<int64_t>(factor, 1);
}

// The bytes handed to Tesseract: either packed RGB or one luma byte per pixel.
struct TessInput {
  std::vector<uint8_t> pixels;
  int width = 0, height = 0, bytes_per_pixel = 0;
};

TessInput MakeInput(const RgbImage& image, bool grayscale) {
  TessInput in;
  in.width = static_cast<int>(image.width);
  in.height = static_cast<int>(image.height);
  if (!grayscale) {
    in.bytes_per_pixel = 3;
    in.pixels = image.pixels;
    return in;
  }
  in.bytes_per_pixel = 1;
  const size_t n = static_cast<size_t>(image.width * image.height);
  in.pixels.resize(n);
  const uint8_t* p = image.pixels.data();
  for (size_t i = 0; i < n; ++i, p += 3) {
    // ITU-R BT.601 luma in integer arithmetic, rounded.
    in.pixels[i] = static_cast<uint8_t>((299 * p[0] + 587 * p[1] + 114 * p[2] + 500) / 1000);
  }
  return in;
}

std::string Trim(std::string s) {
  const char* ws = " \t\r\n\f\v";
  const size_t begin = s.find_first_not_of(ws);
  if (begin == std::string::npos) return {};
  const size_t end = s.find_last_not_of(ws);
  return s.substr(begin, end - begin + 1);
}

class TesseractEngine final : public OcrEngine {
 public:
  explicit TesseractEngine(OcrOptions options) : options_(std::move(options)) {}

  ~TesseractEngine() override {
    for (auto& api : apis_) api->End();
  }

  Status Init();
  StatusOr<OcrResult> Recognize(const RgbImage& crop) override;
  std::string name() const override { return "tesseract"; }

 private:
  // Hands out a free instance for the duration of one call (blocks while all are busy).
  class Lease {
   public:
    explicit Lease(TesseractEngine* engine) : engine_(engine) {
      std::unique_lock<std::mutex> lock(engine_->mu_);
      engine_->cv_.wait(lock, [&] { return !engine_->free_.empty(); });
      api_ = engine_->free_.back();
      engine_->free_.pop_back();
    }
    ~Lease() {
      {
        std::lock_guard<std::mutex> lock(engine_->mu_);
        engine_->free_.push_back(api_);
      }
      engine_->cv_.notify_one();
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    tesseract::TessBaseAPI* api() const { return api_; }

   private:
    TesseractEngine* engine_;
    tesseract::TessBaseAPI* api_;
  };

  StatusOr<std::unique_ptr<tesseract::TessBaseAPI>> MakeApi() const;
  Status RunTesseract(tesseract::TessBaseAPI* api, const TessInput& input, int64_t factor,
                      const RgbImage& crop, OcrResult* result) const;

  const OcrOptions options_;
  std::vector<std::unique_ptr<tesseract::TessBaseAPI>> apis_;  // fixed after Init
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<tesseract::TessBaseAPI*> free_;  // guarded by mu_
};

StatusOr<std::unique_ptr<tesseract::TessBaseAPI>> TesseractEngine::MakeApi() const {
  auto api = std::make_unique<tesseract::TessBaseAPI>();
  // Tesseract prints progress and warnings through tprintf; debug_file is a global
  // parameter, so setting it before Init also silences Init's own messages.
  api->SetVariable("debug_file", "/dev/null");
  const std::vector<std::string> names = {"debug_file"};
  const std::vector<std::string> values = {"/dev/null"};
  const char* data_path = options_.data_path.empty() ? nullptr : options_.data_path.c_str();
  const int rc = api->Init(data_path, options_.languages.c_str(), tesseract::OEM_LSTM_ONLY, nullptr,
                           0, &names, &values, false);
  std::vector<std::string> loaded;
  if (rc == 0) api->GetLoadedLanguagesAsVector(&loaded);
  std::vector<std::string> missing;
  for (const std::string& lang : SplitLanguages(options_.languages)) {
    if (std::find(loaded.begin(), loaded.end(), lang) == loaded.end()) missing.push_back(lang);
  }
  if (rc != 0 || !missing.empty()) {
    std::string where = data_path ? std::string(data_path) : std::string("the default tessdata");
    std::string msg = "Tesseract could not load language data for";
    std::string hint = "HINT: apt-get install";
    for (const std::string& lang : missing) {
      // append() rather than operator+: GCC 12 emits a false -Wrestrict for " '" + lang.
      msg.append(" '").append(lang).append("'");
      hint.append(" ").append(DebianPackageFor(lang));
    }
    api->End();
    return FailedPreconditionError(msg + " (looked in " + where + "). " + hint +
                                   ", or point ocr data_path / TESSDATA_PREFIX at a directory " +
                                   "holding <lang>.traineddata.");
  }
  api->SetPageSegMode(static_cast<tesseract::PageSegMode>(options_.page_segmentation));
  return api;
}

Status TesseractEngine::Init() {
  CORGI_RETURN_IF_ERROR(ValidateOptions(options_));
  SerializeOpenMpOnThisThread();
  for (int64_t i = 0; i < options_.workers; ++i) {
    CORGI_ASSIGN_OR_RETURN(auto api, MakeApi());
    free_.push_back(api.get());
    apis_.push_back(std::move(api));
  }
  CORGI_LOG(DEBUG) << "tesseract " << tesseract::TessBaseAPI::Version() << ": languages "
                   << options_.languages << ", psm " << options_.page_segmentation << ", "
                   << options_.workers << " workers";
  return Status::Ok();
}

Status TesseractEngine::RunTesseract(tesseract::TessBaseAPI* api, const TessInput& input,
                                     int64_t factor, const RgbImage& crop,
                                     OcrResult* result) const {
  api->SetImage(input.pixels.data(), input.width, input.height, input.bytes_per_pixel,
                input.width * input.bytes_per_pixel);
  api->SetSourceResolution(kSourcePpi);
  if (api->Recognize(nullptr) != 0) {
    api->Clear();
    return InternalError("Tesseract failed to recognize a " + std::to_string(crop.width) + "x" +
                         std::to_string(crop.height) + " crop");
  }
  std::unique_ptr<tesseract::ResultIterator> it(api->GetIterator());
  const tesseract::PageIteratorLevel kWord = tesseract::RIL_WORD;
  double confidence_sum = 0;
  bool line_break = false;
  for (bool more = it != nullptr; more; more = it->Next(kWord)) {
    if (it->Empty(kWord)) continue;
    if (it->IsAtBeginningOf(tesseract::RIL_TEXTLINE)) line_break = true;
    std::unique_ptr<char[]> utf8(it->GetUTF8Text(kWord));
    std::string text = Trim(utf8 ? std::string(utf8.get()) : std::string());
    if (text.empty()) continue;
    OcrWord word;
    word.confidence = std::clamp(it->Confidence(kWord) / 100.0, 0.0, 1.0);
    int left = 0, top = 0, right = 0, bottom = 0;
    if (it->BoundingBox(kWord, &left, &top, &right, &bottom)) {
      // Tesseract boxes are [left, right) x [top, bottom) in the upscaled image.
      word.x1 = std::clamp<int64_t>(left / factor, 0, crop.width);
      word.y1 = std::clamp<int64_t>(top / factor, 0, crop.height);
      word.x2 = std::clamp<int64_t>((right + factor - 1) / factor, 0, crop.width);
      word.y2 = std::clamp<int64_t>((bottom + factor - 1) / factor, 0, crop.height);
    }
    if (!result->text.empty()) result->text += line_break ? '\n' : ' ';
    line_break = false;
    result->text += text;
    word.text = std::move(text);
    confidence_sum += word.confidence;
    result->words.push_back(std::move(word));
  }
  it.reset();
  api->Clear();
  if (!result->words.empty()) {
    result->confidence = confidence_sum / static_cast<double>(result->words.size());
  }
  return Status::Ok();
}

StatusOr<OcrResult> TesseractEngine::Recognize(const RgbImage& crop) {
  OcrResult result;
  if (crop.empty()) return result;
  if (crop.height < 0 || crop.width < 0 ||
      crop.pixels.size() != static_cast<size_t>(crop.height * crop.width * 3)) {
    return InvalidArgumentError("ocr crop: pixel buffer does not match " +
                                std::to_string(crop.width) + "x" + std::to_string(crop.height));
  }
  if (crop.height > kMaxTesseractSide || crop.width > kMaxTesseractSide) {
    return OutOfRangeError("ocr crop " + std::to_string(crop.width) + "x" +
                           std::to_string(crop.height) + " exceeds Tesseract's " +
                           std::to_string(kMaxTesseractSide) + " px per side");
  }
  Lease lease(this);
  const auto start = std::chrono::steady_clock::now();
  SerializeOpenMpOnThisThread();
  result.upscale =
      UpscaleFactor(crop.height, crop.width, options_.min_text_height, options_.max_upscale);
  try {
    TessInput input;
    if (result.upscale > 1) {
      CORGI_ASSIGN_OR_RETURN(
          RgbImage big, ResizeBicubic(crop, crop.height * result.upscale,
                                      crop.width * result.upscale, ResamplePrecision::kPillow));
      input = MakeInput(big, options_.grayscale);
    } else {
      input = MakeInput(crop, options_.grayscale);
    }
    CORGI_RETURN_IF_ERROR(RunTesseract(lease.api(), input, result.upscale, crop, &result));
  } catch (const std::bad_alloc&) {
    lease.api()->Clear();
    return ResourceExhaustedError("out of memory running Tesseract on a " +
                                  std::to_string(crop.width) + "x" + std::to_string(crop.height) +
                                  " crop");
  }
  result.ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace

StatusOr<std::unique_ptr<OcrEngine>> CreateTesseractEngine(const OcrOptions& options) {
  auto engine = std::make_unique<TesseractEngine>(options);
  CORGI_RETURN_IF_ERROR(engine->Init());
  return std::unique_ptr<OcrEngine>(std::move(engine));
}

}  // namespace corgi::pipeline
