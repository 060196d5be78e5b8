// Progress reporting (see progress.hpp).
#include "progress.hpp"

#include <unistd.h>

namespace movielens_load {

namespace {

constexpr auto kBarInterval = std::chrono::milliseconds(200);
constexpr auto kLineInterval = std::chrono::seconds(5);
constexpr int kBarWidth = 24;

}  // namespace

std::string human_count(double n) {
    char buf[32];
    if (n >= 1e9) {
        std::snprintf(buf, sizeof buf, "%.2fG", n / 1e9);
    } else if (n >= 1e6) {
        std::snprintf(buf, sizeof buf, "%.2fM", n / 1e6);
    } else if (n >= 1e4) {
        std::snprintf(buf, sizeof buf, "%.1fk", n / 1e3);
    } else {
        std::snprintf(buf, sizeof buf, "%.0f", n);
    }
    return buf;
}

Progress::Mode Progress::mode_for_stderr(bool quiet) {
    if (quiet) {
        return Mode::Quiet;
    }
    return ::isatty(STDERR_FILENO) ? Mode::Bar : Mode::Lines;
}

void Progress::note(const std::string& message) {
    if (mode_ != Mode::Quiet) {
        std::fprintf(out_, "%s\n", message.c_str());
        std::fflush(out_);
    }
}

void Progress::start(const std::string& label, std::uint64_t total_bytes) {
    label_ = label;
    total_bytes_ = total_bytes;
    start_ = Clock::now();
    next_draw_ = start_ + (mode_ == Mode::Bar ? kBarInterval : kLineInterval);
    drawn_width_ = 0;
}

void Progress::break_line() {
    if (mode_ == Mode::Bar && drawn_width_ > 0) {
        std::fprintf(out_, "\n");
        std::fflush(out_);
        drawn_width_ = 0;
    }
}

double Progress::finish(std::uint64_t rows, std::uint64_t bytes) {
    auto now = Clock::now();
    if (mode_ != Mode::Quiet) {
        draw(rows, bytes, now, true);
    }
    return std::chrono::duration<double>(now - start_).count();
}

void Progress::draw(std::uint64_t rows, std::uint64_t bytes, Clock::time_point now, bool final) {
    double secs = std::chrono::duration<double>(now - start_).count();
    double rate = secs > 0 ? static_cast<double>(rows) / secs : 0.0;
    double mbps = secs > 0 ? static_cast<double>(bytes) / 1e6 / secs : 0.0;
    double frac =
        total_bytes_ > 0 ? static_cast<double>(bytes) / static_cast<double>(total_bytes_) : 1.0;
    if (frac > 1.0) {
        frac = 1.0;
    }
    char line[256];
    if (mode_ == Mode::Bar) {
        char bar[kBarWidth + 1];
        int filled = static_cast<int>(frac * kBarWidth);
        for (int i = 0; i < kBarWidth; ++i) {
            bar[i] = i < filled ? '#' : '.';
        }
        bar[kBarWidth] = '\0';
        int n = std::snprintf(line, sizeof line, "%s [%s] %3.0f%%  %s rows  %s rows/s  %.1f MB/s",
                              label_.c_str(), bar, frac * 100.0,
                              human_count(static_cast<double>(rows)).c_str(),
                              human_count(rate).c_str(), mbps);
        std::size_t width = n > 0 ? static_cast<std::size_t>(n) : 0;
        // Pad over the previous, longer line before returning to its start.
        std::fprintf(out_, "\r%s%*s", line,
                     static_cast<int>(drawn_width_ > width ? drawn_width_ - width : 0), "");
        drawn_width_ = width;
        if (final) {
            std::fprintf(out_, " in %.1f s\n", secs);
            drawn_width_ = 0;
        }
        std::fflush(out_);
        next_draw_ = now + kBarInterval;
        return;
    }
    std::snprintf(line, sizeof line, "%s: %s%llu rows (%.0f%%), %s rows/s, %.1f MB/s, %.1f s",
                  label_.c_str(), final ? "done, " : "", static_cast<unsigned long long>(rows),
                  frac * 100.0, human_count(rate).c_str(), mbps, secs);
    std::fprintf(out_, "%s\n", line);
    std::fflush(out_);
    next_draw_ = now + kLineInterval;
}

}  // namespace movielens_load
