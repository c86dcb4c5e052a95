// Decoding a JPEG and letterboxing it at the same time. JPEG decoding is sequential (entropy
// decoding) and takes as long as the whole pre-processing on a fast CPU (bus.jpg: ~2.9 ms decode,
// ~1.3 ms letterbox + tensor fill on one core), so a helper thread resizes each band of output
// rows as soon as the source rows it reads are decoded, and hands the finished canvas rows on
// (to the tensor fill). What is left after the last scanline is one band.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "core/status.h"
#include "vision/image.h"
#include "vision/letterbox.h"

namespace ez::vision {

struct StreamTimes {
  double decode_ms = 0;  // until the last scanline
  double tail_ms = 0;    // then until the canvas (and whatever on_rows does) was complete
};

// Decodes the JPEG in `data` into *decoded and letterboxes it into *canvas as decode_image()
// followed by letterbox_into() with the reference resize would, pixel for pixel. on_rows(y0, y1)
// is called on the helper thread for canvas rows [y0, y1) once they are final, every canvas row
// exactly once, in order. On error (corrupt or truncated data, named as decode_image names it)
// the helper is stopped before returning and *canvas holds nothing meaningful.
Status decode_letterbox_jpeg(const uint8_t* data, size_t size, const std::string& name, const LetterboxParams& params,
                             Image* decoded, Image* canvas, LetterboxInfo* info,
                             const std::function<void(int y0, int y1)>& on_rows, StreamTimes* times = nullptr);

}  // namespace ez::vision
