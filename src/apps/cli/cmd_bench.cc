// corgi bench KIND: speed measurements, printed as JSON on stdout.
//
//   corgi bench tokenizer --model /models/qwen3-vl-2b [--input FILE] [--seconds S]
//
// Adding a kind: write `int BenchFoo(int argc, char** argv)` and add one line to kKinds.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "apps/cli/bench_kinds.h"
#include "apps/cli/commands.h"
#include "apps/cli/flags.h"
#include "apps/cli/model_path.h"
#include "corgi/core/mapped_file.h"
#include "corgi/tokenizer/tokenizer.h"

namespace corgi::cli {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void PrintJson(const nlohmann::json& j) { std::printf("%s\n", j.dump(2).c_str()); }

// ---- tokenizer --------------------------------------------------------------------------

// Common English words; the default corpus is sentences drawn from them.
constexpr const char* kWords[] = {
    "the",        "of",          "and",        "to",         "in",        "is",        "that",
    "it",         "was",         "for",        "on",         "are",       "with",      "as",
    "his",        "they",        "be",         "at",         "one",       "have",      "this",
    "from",       "by",          "hot",        "word",       "but",       "what",      "some",
    "we",         "can",         "out",        "other",      "were",      "all",       "there",
    "when",       "up",          "use",        "your",       "how",       "said",      "an",
    "each",       "she",         "which",      "do",         "their",     "time",      "if",
    "will",       "way",         "about",      "many",       "then",      "them",      "write",
    "would",      "like",        "so",         "these",      "her",       "long",      "make",
    "thing",      "see",         "him",        "two",        "has",       "look",      "more",
    "day",        "could",       "go",         "come",       "did",       "number",    "sound",
    "no",         "most",        "people",     "my",         "over",      "know",      "water",
    "than",       "call",        "first",      "who",        "may",       "down",      "side",
    "been",       "now",         "find",       "any",        "new",       "work",      "part",
    "take",       "get",         "place",      "made",       "live",      "where",     "after",
    "back",       "little",      "only",       "round",      "man",       "year",      "came",
    "show",       "every",       "good",       "me",         "give",      "our",       "under",
    "name",       "very",        "through",    "just",       "form",      "sentence",  "great",
    "think",      "say",         "help",       "low",        "line",      "differ",    "turn",
    "cause",      "much",        "mean",       "before",     "move",      "right",     "boy",
    "old",        "too",         "same",       "tell",       "does",      "set",       "three",
    "want",       "air",         "well",       "also",       "play",      "small",     "end",
    "put",        "home",        "read",       "hand",       "port",      "large",     "spell",
    "add",        "even",        "land",       "here",       "must",      "big",       "high",
    "such",       "follow",      "act",        "why",        "ask",       "men",       "change",
    "went",       "light",       "kind",       "off",        "need",      "house",     "picture",
    "try",        "us",          "again",      "animal",     "point",     "mother",    "world",
    "near",       "build",       "self",       "earth",      "father",    "head",      "stand",
    "own",        "page",        "should",     "country",    "found",     "answer",    "school",
    "grow",       "study",       "still",      "learn",      "plant",     "cover",     "food",
    "sun",        "four",        "between",    "state",      "keep",      "eye",       "never",
    "last",       "let",         "thought",    "city",       "tree",      "cross",     "farm",
    "hard",       "start",       "might",      "story",      "saw",       "far",       "sea",
    "draw",       "left",        "late",       "run",        "don't",     "while",     "press",
    "close",      "night",       "real",       "life",       "few",       "north",     "open",
    "seem",       "together",    "next",       "white",      "children",  "begin",     "got",
    "walk",       "example",     "ease",       "paper",      "group",     "always",    "music",
    "those",      "both",        "mark",       "often",      "letter",    "until",     "mile",
    "river",      "car",         "feet",       "care",       "second",    "book",      "carry",
    "took",       "science",     "eat",        "room",       "friend",    "began",     "idea",
    "fish",       "mountain",    "stop",       "once",       "base",      "hear",      "horse",
    "cut",        "sure",        "watch",      "color",      "face",      "wood",      "main",
    "enough",     "plain",       "girl",       "usual",      "young",     "ready",     "above",
    "ever",       "red",         "list",       "though",     "feel",      "talk",      "bird",
    "soon",       "body",        "dog",        "family",     "direct",    "pose",      "leave",
    "song",       "measure",     "door",       "product",    "black",     "short",     "numeral",
    "class",      "wind",        "question",   "happen",     "complete",  "ship",      "area",
    "half",       "rock",        "order",      "fire",       "south",     "problem",   "piece",
    "told",       "knew",        "pass",       "since",      "top",       "whole",     "king",
    "space",      "heard",       "best",       "hour",       "better",    "during",    "hundred",
    "five",       "remember",    "step",       "early",      "hold",      "west",      "ground",
    "interest",   "reach",       "fast",       "verb",       "sing",      "listen",    "six",
    "table",      "travel",      "less",       "morning",    "ten",       "simple",    "several",
    "vowel",      "toward",      "war",        "lay",        "against",   "pattern",   "slow",
    "center",     "love",        "person",     "money",      "serve",     "appear",    "road",
    "map",        "rain",        "rule",       "govern",     "pull",      "cold",      "notice",
    "voice",      "unit",        "power",      "town",       "fine",      "certain",   "fly",
    "fall",       "lead",        "cry",        "dark",       "machine",   "note",      "wait",
    "plan",       "figure",      "star",       "box",        "noun",      "field",     "rest",
    "correct",    "able",        "pound",      "done",       "beauty",    "drive",     "stood",
    "contain",    "front",       "teach",      "week",       "final",     "gave",      "green",
    "oh",         "quick",       "develop",    "ocean",      "warm",      "free",      "minute",
    "strong",     "special",     "mind",       "behind",     "clear",     "tail",      "produce",
    "fact",       "street",      "inch",       "multiply",   "nothing",   "course",    "stay",
    "wheel",      "full",        "force",      "blue",       "object",    "decide",    "surface",
    "deep",       "moon",        "island",     "foot",       "system",    "busy",      "test",
    "record",     "boat",        "common",     "gold",       "possible",  "plane",     "stead",
    "dry",        "wonder",      "laugh",      "thousand",   "ago",       "ran",       "check",
    "game",       "shape",       "equate",     "miss",       "brought",   "heat",      "snow",
    "tire",       "bring",       "yes",        "distant",    "fill",      "east",      "paint",
    "language",   "among",       "grand",      "ball",       "yet",       "wave",      "drop",
    "heart",      "am",          "present",    "heavy",      "dance",     "engine",    "position",
    "arm",        "wide",        "sail",       "material",   "size",      "vary",      "settle",
    "speak",      "weight",      "general",    "ice",        "matter",    "circle",    "pair",
    "include",    "divide",      "syllable",   "felt",       "perhaps",   "pick",      "sudden",
    "count",      "square",      "reason",     "length",     "represent", "art",       "subject",
    "region",     "energy",      "hunt",       "probable",   "bed",       "brother",   "egg",
    "ride",       "cell",        "believe",    "fraction",   "forest",    "sit",       "race",
    "window",     "store",       "summer",     "train",      "sleep",     "prove",     "lone",
    "leg",        "exercise",    "wall",       "catch",      "mount",     "wish",      "sky",
    "board",      "joy",         "winter",     "sat",        "written",   "wild",      "instrument",
    "kept",       "glass",       "grass",      "cow",        "job",       "edge",      "sign",
    "visit",      "past",        "soft",       "fun",        "bright",    "gas",       "weather",
    "month",      "million",     "bear",       "finish",     "happy",     "hope",      "flower",
    "clothe",     "strange",     "gone",       "jump",       "baby",      "eight",     "village",
    "meet",       "root",        "buy",        "raise",      "solve",     "metal",     "whether",
    "push",       "seven",       "paragraph",  "third",      "shall",     "held",      "hair",
    "describe",   "cook",        "floor",      "either",     "result",    "burn",      "hill",
    "safe",       "cat",         "century",    "consider",   "type",      "law",       "bit",
    "coast",      "copy",        "phrase",     "silent",     "tall",      "sand",      "soil",
    "roll",       "temperature", "finger",     "industry",   "value",     "fight",     "lie",
    "beat",       "excite",      "natural",    "view",       "sense",     "ear",       "else",
    "quite",      "broke",       "case",       "middle",     "kill",      "son",       "lake",
    "moment",     "scale",       "loud",       "spring",     "observe",   "child",     "straight",
    "consonant",  "nation",      "dictionary", "milk",       "speed",     "method",    "organ",
    "pay",        "age",         "section",    "dress",      "cloud",     "surprise",  "quiet",
    "stone",      "tiny",        "climb",      "cool",       "design",    "poor",      "lot",
    "experiment", "bottom",      "key",        "iron",       "single",    "stick",     "flat",
    "twenty",     "skin",        "smile",      "crease",     "hole",      "trade",     "melody",
    "trip",       "office",      "receive",    "row",        "mouth",     "exact",     "symbol",
    "die",        "least",       "trouble",    "shout",      "except",    "wrote",     "seed",
    "tone",       "join",        "suggest",    "clean",      "break",     "lady",      "yard",
    "rise",       "bad",         "blow",       "oil",        "blood",     "touch",     "grew",
    "cent",       "mix",         "team",       "wire",       "cost",      "lost",      "brown",
    "wear",       "garden",      "equal",      "sent",       "choose",    "fell",      "fit",
    "flow",       "fair",        "bank",       "collect",    "save",      "control",   "decimal",
    "gentle",     "woman",       "captain",    "practice",   "separate",  "difficult", "doctor",
    "please",     "protect",     "noon",       "whose",      "locate",    "ring",      "character",
    "insect",     "caught",      "period",     "indicate",   "radio",     "spoke",     "atom",
    "human",      "history",     "effect",     "electric",   "expect",    "crop",      "modern",
    "element",    "hit",         "student",    "corner",     "party",     "supply",    "bone",
    "rail",       "imagine",     "provide",    "agree",      "thus",      "capital",   "won't",
    "chair",      "danger",      "fruit",      "rich",       "thick",     "soldier",   "process",
    "operate",    "guess",       "necessary",  "sharp",      "wing",      "create",    "neighbor",
    "wash",       "bat",         "rather",     "crowd",      "corn",      "compare",   "poem",
    "string",     "bell",        "depend",     "meat",       "rub",       "tube",      "famous",
    "dollar",     "stream",      "fear",       "sight",      "thin",      "triangle",  "planet",
    "hurry",      "chief",       "colony",     "clock",      "mine",      "tie",       "enter",
    "major",      "fresh",       "search",     "send",       "yellow",    "gun",       "allow",
    "print",      "dead",        "spot",       "desert",     "suit",      "current",   "lift",
    "rose",       "continue",    "block",      "chart",      "hat",       "sell",      "success",
    "company",    "subtract",    "event",      "particular", "deal",      "swim",      "term",
    "opposite",   "wife",        "shoe",       "shoulder",   "spread",    "arrange",   "camp",
    "invent",     "cotton",      "born",       "determine",  "quart",     "nine",      "truck",
    "noise",      "level",       "chance",     "gather",     "shop",      "stretch",   "throw",
    "shine",      "property",    "column",     "molecule",   "select",    "wrong",     "gray",
    "repeat",     "require",     "broad",      "prepare",    "salt",      "nose",      "plural",
    "anger",      "claim",       "continent",  "oxygen",     "sugar",     "death",     "pretty",
    "skill",      "women",       "season",     "solution",   "magnet",    "silver",    "thank",
    "branch",     "match",       "suffix",     "especially", "fig",       "afraid",    "huge",
    "sister",     "steel",       "discuss",    "forward",    "similar",   "guide",     "experience",
    "score",      "apple",       "bought",     "led",        "pitch",     "coat",      "mass",
    "card",       "band",        "rope",       "slip",       "win",       "dream",     "evening",
    "condition",  "feed",        "tool",       "total",      "basic",     "smell",     "valley",
    "nor",        "double",      "seat",       "arrive",     "master",    "track",     "parent",
    "shore",      "division",    "sheet",      "substance",  "favor",     "connect",   "post",
    "spend",      "chord",       "fat",        "glad",       "original",  "share",     "station",
    "dad",        "bread",       "charge",     "proper",     "bar",       "offer",     "segment",
    "slave",      "duck",        "instant",    "market",     "degree",    "populate",  "chick",
    "dear",       "enemy",       "reply",      "drink",      "occur",     "support",   "speech",
    "nature",     "range",       "steam",      "motion",     "path",      "liquid",    "log",
    "meant",      "quotient",    "teeth",      "shell",      "neck"};

// About `bytes` of English-like prose: sentences of 6-20 words with capitals, commas,
// occasional numbers and paragraph breaks. Deterministic (fixed LCG seed).
std::string GenerateEnglish(size_t bytes) {
  constexpr size_t kNumWords = sizeof(kWords) / sizeof(kWords[0]);
  uint64_t state = 1;
  auto next = [&state](uint64_t n) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (state >> 33) % n;
  };
  std::string out;
  while (out.size() < bytes) {
    const uint64_t len = 6 + next(15);
    for (uint64_t w = 0; w < len; ++w) {
      std::string word = kWords[next(kNumWords)];
      if (w == 0) word[0] = static_cast<char>(word[0] - 'a' + 'A');
      if (w > 0) out += ' ';
      if (next(40) == 0) out += std::to_string(next(2000)) + ' ';
      out += word;
      if (w + 1 < len && next(9) == 0) out += ',';
    }
    out += next(8) == 0 ? "?" : ".";
    out += next(6) == 0 ? "\n\n" : " ";
  }
  return out;
}

// CPU time of the calling thread; on a shared machine it is steadier than wall time.
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct Timing {
  double seconds = 0;      // wall, per repetition
  double cpu_seconds = 0;  // thread CPU, per repetition
  int64_t repetitions = 0;
};

// Encodes `text` repeatedly until `min_seconds` have passed (at least once).
Timing TimeEncode(const Tokenizer& tok, const std::string& text, double min_seconds,
                  size_t* tokens) {
  const Clock::time_point start = Clock::now();
  const double cpu_start = ThreadCpuSeconds();
  Timing t;
  do {
    *tokens = tok.Encode(text).size();
    ++t.repetitions;
  } while (SecondsSince(start) < min_seconds);
  const double reps = static_cast<double>(t.repetitions);
  t.seconds = SecondsSince(start) / reps;
  t.cpu_seconds = (ThreadCpuSeconds() - cpu_start) / reps;
  return t;
}

nlohmann::json Rates(const Timing& t, size_t bytes, size_t tokens) {
  return {{"seconds_per_pass", t.seconds},
          {"repetitions", t.repetitions},
          {"mb_per_s", static_cast<double>(bytes) / 1e6 / t.seconds},
          {"tokens_per_s", static_cast<double>(tokens) / t.seconds},
          {"mb_per_cpu_s", static_cast<double>(bytes) / 1e6 / t.cpu_seconds}};
}

int BenchTokenizer(int argc, char** argv) {
  FlagParser flags(
      "corgi bench tokenizer -m DIR|FILE [--input FILE] [--seconds X]",
      "Encoding speed on English text (default: 1 MiB generated from common words;\n"
      "--input: a file, repeated up to at least 1 MiB). MB = 10^6 bytes.");
  std::string* model = AddModelFlag(&flags, "checkpoint directory (or OWNER/NAME) or a tokenizer.json FILE");
  std::string* input = flags.String("input", "", "UTF-8 text file to encode instead", "FILE");
  double* seconds = flags.Double("seconds", 3.0, "minimum time per measurement");
  if (!flags.Parse(argc, argv)) return flags.exit_code();
  if (model->empty()) {
    flags.PrintUsage();
    return 2;
  }
  if (!ResolveModelFlag(model)) return 1;
  constexpr size_t kCorpusBytes = 1 << 20;
  std::string text = GenerateEnglish(kCorpusBytes);
  std::string corpus = "generated English (common words), 1 MiB";
  if (!input->empty()) {
    StatusOr<std::string> file = ReadFileToString(*input);
    if (!file.ok() || file->empty()) {
      std::fprintf(stderr, "corgi bench tokenizer: %s\n",
                   file.ok() ? "input file is empty" : file.status().ToString().c_str());
      return 1;
    }
    text.clear();
    while (text.size() < kCorpusBytes) text += *file;
    corpus = *input + " x" + std::to_string(text.size() / file->size());
  }
  const Clock::time_point load_start = Clock::now();
  StatusOr<Tokenizer> tok = Tokenizer::Load(*model);
  const double load_seconds = SecondsSince(load_start);
  StatusOr<Tokenizer> uncached =
      Tokenizer::Load(*model, TokenizerOptions{.word_cache_capacity = 0});
  if (!tok.ok() || !uncached.ok()) {
    std::fprintf(stderr, "corgi bench tokenizer: %s\n",
                 (tok.ok() ? uncached : tok).status().ToString().c_str());
    return 1;
  }
  size_t tokens = 0;
  tok->ClearCache();
  const Timing cold = TimeEncode(*tok, text, 0.0, &tokens);  // one pass from an empty cache
  const Timing warm = TimeEncode(*tok, text, *seconds, &tokens);
  const Timing none = TimeEncode(*uncached, text, *seconds, &tokens);
  PrintJson({{"bench", "tokenizer"},
             {"model", *model},
             {"corpus", corpus},
             {"bytes", text.size()},
             {"tokens", tokens},
             {"load_seconds", load_seconds},
             {"cache_cold", Rates(cold, text.size(), tokens)},
             {"cache_warm", Rates(warm, text.size(), tokens)},
             {"cache_off", Rates(none, text.size(), tokens)}});
  return 0;
}

// ---- dispatch ---------------------------------------------------------------------------

struct BenchKind {
  const char* name;
  int (*run)(int, char**);  // argv[0] is the kind's name
  const char* summary;
};

const BenchKind kKinds[] = {
    {"tokenizer", BenchTokenizer, "encoding speed (MB/s, tokens/s), word cache cold/warm/off"},
    {"model", BenchModel, "vision encode, prefill and decode speed against measured machine limits"},
    {"accuracy", BenchAccuracy, "KL divergence and top-1 agreement of quantized weights vs the float reference"},
    {"pipeline", BenchPipeline, "the standard CoRGI workload, optimized or --naive (no caches, sequential)"},
    {"serve", BenchServe, "the standard workload from N concurrent clients vs one at a time: throughput, p50/p95"},
};

void PrintKinds() {
  std::fprintf(stderr, "usage: corgi bench KIND [flags]   (corgi bench KIND --help)\n\nkinds:\n");
  for (const BenchKind& k : kKinds) std::fprintf(stderr, "  %-12s %s\n", k.name, k.summary);
}

}  // namespace

int RunBench(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    PrintKinds();
    return argc < 2 ? 2 : 0;
  }
  for (const BenchKind& k : kKinds) {
    if (std::strcmp(argv[1], k.name) == 0) return k.run(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "corgi bench: unknown kind '%s'\n\n", argv[1]);
  PrintKinds();
  return 2;
}

}  // namespace corgi::cli
