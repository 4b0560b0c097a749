#include "corgi/model/decoder_weights.h"

namespace corgi {

int64_t DecodeStepWeightBytes(const DecoderWeights& w) {
  auto view = [](const TensorView& t) { return t.data ? static_cast<int64_t>(t.bytes()) : 0; };
  int64_t bytes = 0;
  for (const DecoderLayer& l : w.layers) {
    for (const Linear* lin : {&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down})
      bytes += view(lin->weight) + view(lin->bias);
    for (const TensorView* norm : {&l.input_norm, &l.q_norm, &l.k_norm, &l.post_norm})
      bytes += view(*norm);
  }
  return bytes + view(w.final_norm) + view(w.lm_head);
}

}  // namespace corgi
