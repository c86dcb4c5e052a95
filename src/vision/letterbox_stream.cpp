#include "vision/letterbox_stream.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "vision/image_io.h"
#include "vision/resize.h"

namespace ez::vision {
namespace {

constexpr int kBand = 16;  // output rows resized at a time

double ms_between(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// What the decoding thread tells the helper; guarded by `mutex`.
struct Progress {
  std::mutex mutex;
  std::condition_variable changed;
  const Image* source = nullptr;  // set when the size is known
  int rows_done = 0;
  bool stop = false;              // decoding failed, or the geometry was refused
};

}  // namespace

Status decode_letterbox_jpeg(const uint8_t* data, size_t size, const std::string& name, const LetterboxParams& p,
                             Image* decoded, Image* canvas, LetterboxInfo* info,
                             const std::function<void(int, int)>& on_rows, StreamTimes* times) {
  const auto t0 = std::chrono::steady_clock::now();
  Progress progress;
  Status geometry_status;
  LetterboxInfo g;
  std::unique_ptr<BandResizer> resizer;

  // Runs on the decoding thread once the size is known: geometry, canvas, resize taps.
  auto started = [&](const Image& src) {
    auto geom = letterbox_geometry(src.width, src.height, p);
    std::lock_guard<std::mutex> lock(progress.mutex);
    if (!geom.ok()) {
      geometry_status = geom.status();
      progress.stop = true;
    } else {
      g = *geom;
      prepare_canvas(p, src.channels, canvas);
      resizer = std::make_unique<BandResizer>(src.width, src.height, g.resized_w, g.resized_h);
      progress.source = &src;
    }
    progress.changed.notify_all();
  };
  auto rows = [&](int done) {
    std::lock_guard<std::mutex> lock(progress.mutex);
    progress.rows_done = done;
    progress.changed.notify_all();
  };

  // The helper: waits for the size, then for the source rows of each band.
  auto helper = [&] {
    std::unique_lock<std::mutex> lock(progress.mutex);
    progress.changed.wait(lock, [&] { return progress.source || progress.stop; });
    if (progress.stop) return;
    const Image& src = *progress.source;
    const int px = static_cast<int>(g.pad_x), py = static_cast<int>(g.pad_y);
    lock.unlock();
    if (py > 0) on_rows(0, py);
    for (int y0 = 0; y0 < g.resized_h; y0 += kBand) {
      const int y1 = std::min(y0 + kBand, g.resized_h);
      lock.lock();
      progress.changed.wait(lock, [&] { return progress.rows_done >= resizer->source_rows_for(y1) || progress.stop; });
      const bool stop = progress.stop;
      lock.unlock();
      if (stop) return;
      resizer->run(src, canvas->at(px, py), static_cast<int>(canvas->row_bytes()), y0, y1);  // rows y0.. of the region
      on_rows(py + y0, py + y1);
    }
    if (py + g.resized_h < p.target_h) on_rows(py + g.resized_h, p.target_h);
  };

  std::thread worker(helper);
  JpegRowHook hook{started, rows};
  Status s = decode_jpeg_into(data, size, name, decoded, &hook);
  const auto t_decoded = std::chrono::steady_clock::now();
  if (!s.ok() || !geometry_status.ok()) {
    std::lock_guard<std::mutex> lock(progress.mutex);
    progress.stop = true;
    progress.changed.notify_all();
  }
  worker.join();
  if (!s.ok()) return s;
  if (!geometry_status.ok()) return geometry_status;
  *info = g;
  if (times) {
    times->decode_ms = ms_between(t0, t_decoded);
    times->tail_ms = ms_between(t_decoded, std::chrono::steady_clock::now());
  }
  return Status::OK();
}

}  // namespace ez::vision
