// Progress of a long step on stderr: on a terminal a one-line bar redrawn in place (rows and MB
// per second, percent of the file), otherwise a plain line every few seconds; nothing when quiet.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace movielens_load {

class Progress {
public:
    enum class Mode { Quiet, Bar, Lines };

    // Bar when stderr is a terminal, Lines otherwise, Quiet when quiet.
    static Mode mode_for_stderr(bool quiet);

    explicit Progress(Mode mode, std::FILE* out = stderr) : mode_(mode), out_(out) {}

    // A message on its own line (not in Quiet mode).
    void note(const std::string& message);

    // Starts a step over total_bytes of input, labelled label.
    void start(const std::string& label, std::uint64_t total_bytes);
    // Reports the state of the current step; cheap enough to call every few thousand rows.
    void update(std::uint64_t rows, std::uint64_t bytes) {
        if (mode_ != Mode::Quiet) {
            auto now = Clock::now();
            if (now >= next_draw_) {
                draw(rows, bytes, now, false);
            }
        }
    }
    // Ends a bar left on the screen by a step that failed, so that the error starts a line.
    void break_line();
    // Ends the step; returns its duration in seconds.
    double finish(std::uint64_t rows, std::uint64_t bytes);

private:
    using Clock = std::chrono::steady_clock;
    void draw(std::uint64_t rows, std::uint64_t bytes, Clock::time_point now, bool final);

    Mode mode_;
    std::FILE* out_;
    std::string label_;
    std::uint64_t total_bytes_ = 0;
    Clock::time_point start_{}, next_draw_{};
    std::size_t drawn_width_ = 0;
};

// "12.3M", "456.7k" or "89" for a count.
std::string human_count(double n);

}  // namespace movielens_load
