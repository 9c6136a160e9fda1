#include "dsgd/train/state/checkpoint.h"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "dsgd/base/atomic_file.h"
#include "dsgd/base/error.h"

namespace dsgd {
namespace {

constexpr char kMagic[8] = {'D', 'S', 'G', 'D', 'C', 'K', 'P', '1'};
constexpr std::string_view kPrefix = "ckpt-";
constexpr std::string_view kSuffix = ".dsgdckpt";

// Little-endian fields appended to a byte string, read back in the same order.
class Writer {
 public:
  void u64(std::uint64_t v) { raw(&v, sizeof v); }
  void f64(double v) { raw(&v, sizeof v); }
  void doubles(const std::vector<double>& v) {
    u64(v.size());
    raw(v.data(), v.size() * sizeof(double));
  }
  void text(std::string_view t) {
    u64(t.size());
    raw(t.data(), t.size());
  }
  void raw(const void* p, std::size_t n) {
    if (n > 0) out.append(static_cast<const char*>(p), n);  // an empty vector's data() may be null
  }
  std::string out;
};

class Reader {
 public:
  Reader(const std::string& path, std::string_view bytes) : path_(path), bytes_(bytes) {}
  std::uint64_t u64() {
    std::uint64_t v;
    raw(&v, sizeof v);
    return v;
  }
  double f64() {
    double v;
    raw(&v, sizeof v);
    return v;
  }
  std::vector<double> doubles() {
    const std::uint64_t n = u64();
    if (n > (bytes_.size() - at_) / sizeof(double)) fail();
    std::vector<double> v(n);
    raw(v.data(), n * sizeof(double));
    return v;
  }
  std::string text() {
    const std::uint64_t n = u64();
    if (n > bytes_.size() - at_) fail();
    std::string t(bytes_.substr(at_, n));
    at_ += n;
    return t;
  }
  void raw(void* p, std::size_t n) {
    if (n > bytes_.size() - at_) fail();
    if (n == 0) return;  // an empty vector's data() may be null, which memcpy must not get
    std::memcpy(p, bytes_.data() + at_, n);
    at_ += n;
  }
  [[nodiscard]] bool at_end() const noexcept { return at_ == bytes_.size(); }
  [[noreturn]] void fail() const { throw InputError(path_, 0, "a truncated or corrupt checkpoint"); }

 private:
  std::string path_;
  std::string_view bytes_;
  std::size_t at_ = 0;
};

void put_model(Writer& w, const LinearModel& m) {
  w.doubles(m.weights);
  w.f64(m.bias);
  w.u64(m.standardization ? 1 : 0);
  if (m.standardization) {
    w.doubles(m.standardization->mean);
    w.doubles(m.standardization->scale);
  }
}

LinearModel get_model(Reader& r) {
  LinearModel m;
  m.weights = r.doubles();
  m.bias = r.f64();
  if (r.u64() != 0) {
    Standardization s;
    s.mean = r.doubles();
    s.scale = r.doubles();
    m.standardization = std::move(s);
  }
  return m;
}

std::optional<std::size_t> step_of(const std::string& name) {
  if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) return std::nullopt;
  const std::string digits = name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
  if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return static_cast<std::size_t>(std::stoull(digits));
}

// The checkpoints in dir, newest first.
std::vector<std::pair<std::size_t, std::filesystem::path>> checkpoints_in(const std::string& dir) {
  std::vector<std::pair<std::size_t, std::filesystem::path>> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (const auto step = step_of(entry.path().filename().string())) out.emplace_back(*step, entry.path());
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  return out;
}

}  // namespace

std::string checkpoint_bytes(const std::string& meta, const TrainSnapshot& s) {
  Writer w;
  w.raw(kMagic, sizeof kMagic);
  w.text(meta);
  w.u64(s.epoch);
  w.u64(s.step);
  w.u64(s.step_in_epoch);
  for (const double v : {s.epoch_sums.count, s.epoch_sums.loss, s.epoch_sums.correct, s.epoch_sums.residual}) w.f64(v);
  w.u64(s.epochs.size());
  for (const EpochProgress& p : s.epochs) {
    w.u64(p.epoch);
    for (const double v : {p.loss, p.accuracy, p.holdout_loss, p.holdout_accuracy, p.lr, p.time_s}) w.f64(v);
  }
  w.u64(s.best_epoch);
  w.f64(s.best_loss);
  w.u64(s.epochs_since_best);
  put_model(w, s.best);
  w.doubles(s.update.weights);
  w.doubles(s.update.squares);
  w.f64(s.update.alpha);
  w.f64(s.update.bias);
  w.u64(XXH3_64bits(w.out.data(), w.out.size()));
  return std::move(w.out);
}

LoadedCheckpoint parse_checkpoint(const std::string& path, std::string_view bytes) {
  Reader r(path, bytes);
  if (bytes.size() < sizeof kMagic + 8 || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw InputError(path, 0, "not a dsgd checkpoint");
  std::uint64_t sum;
  std::memcpy(&sum, bytes.data() + bytes.size() - sizeof sum, sizeof sum);
  if (XXH3_64bits(bytes.data(), bytes.size() - sizeof sum) != sum)
    throw InputError(path, 0, "a corrupt checkpoint (its checksum does not match)");
  Reader body(path, bytes.substr(0, bytes.size() - sizeof sum));
  char magic[sizeof kMagic];
  body.raw(magic, sizeof magic);
  LoadedCheckpoint out{path, body.text(), {}};
  TrainSnapshot& s = out.snapshot;
  s.epoch = body.u64();
  s.step = body.u64();
  s.step_in_epoch = body.u64();
  s.epoch_sums = {body.f64(), body.f64(), body.f64(), body.f64()};
  const std::uint64_t epochs = body.u64();
  if (epochs > bytes.size()) body.fail();
  for (std::uint64_t e = 0; e < epochs; ++e) {
    EpochProgress p;
    p.epoch = body.u64();
    p.loss = body.f64();
    p.accuracy = body.f64();
    p.holdout_loss = body.f64();
    p.holdout_accuracy = body.f64();
    p.lr = body.f64();
    p.time_s = body.f64();
    s.epochs.push_back(p);
  }
  s.best_epoch = body.u64();
  s.best_loss = body.f64();
  s.epochs_since_best = body.u64();
  s.best = get_model(body);
  s.update.weights = body.doubles();
  s.update.squares = body.doubles();
  s.update.alpha = body.f64();
  s.update.bias = body.f64();
  if (!body.at_end()) body.fail();
  return out;
}

void write_checkpoint(const CheckpointPlan& plan, const TrainSnapshot& snapshot) {
  std::error_code ec;
  std::filesystem::create_directories(plan.dir, ec);
  const std::string path =
      (std::filesystem::path(plan.dir) / fmt::format("{}{:012}{}", kPrefix, snapshot.step, kSuffix)).string();
  const std::string bytes = checkpoint_bytes(plan.meta, snapshot);
  AtomicFile file(path);
  if (std::fwrite(bytes.data(), 1, bytes.size(), file.stream()) != bytes.size())
    throw InputError(path, 0, "cannot write the checkpoint");
  file.commit();
  remove_stale_temporaries_in(plan.dir, std::string(kPrefix));  // of a writer killed mid-write
  const auto all = checkpoints_in(plan.dir);
  for (std::size_t k = std::max<std::size_t>(plan.keep, 1); k < all.size(); ++k) std::filesystem::remove(all[k].second, ec);
}

LoadedCheckpoint load_latest_checkpoint(const std::string& dir) {
  remove_stale_temporaries_in(dir, std::string(kPrefix));  // of the killed run's writer, if it was mid-write
  const auto all = checkpoints_in(dir);
  if (all.empty()) throw InputError(dir, 0, "no checkpoint here (ckpt-STEP.dsgdckpt, from --checkpoint)");
  const std::string path = all.front().second.string();
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.eof() && in.fail()) throw InputError(path, 0, "cannot read the checkpoint");
  return parse_checkpoint(path, bytes);
}

}  // namespace dsgd
