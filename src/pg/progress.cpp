// Progress of a training in pg_stat_activity (see progress.hpp).
#include <cstring>
#include <ctime>

#include "pg/guard.hpp"
#include "pg/progress.hpp"

extern "C" {
#include "tcop/tcopprot.h"
#include "utils/backend_status.h"
#include "utils/timestamp.h"
}

namespace movie_recs::pg {
namespace {

// The training shown by this backend, allocated in its memory context.
struct Shown {
    TimestampTz start;
    double cpu_start;
    uint64 query_id;
    char* statement;  // the text to restore, or NULL
    MemoryContextCallback restore;
};
Shown* shown;  // NULL when no training is shown

// CPU seconds of this process (all its threads).
double cpu_seconds() noexcept {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void show(const char* phase) noexcept {
    if (shown == nullptr) return;
    {
        // The same at DEBUG2 in the server log, with CPU time: where a training spends it.
        long secs;
        int usecs;
        TimestampDifference(shown->start, GetCurrentTimestamp(), &secs, &usecs);
        char line[256];
        snprintf(line, sizeof line, "movie_recs training: %s, %.3f s elapsed, %.3f s CPU", phase,
                 static_cast<double>(secs) + usecs / 1e6, cpu_seconds() - shown->cpu_start);
        report_noexcept(DEBUG2, line);
    }
    ErrorData* edata = run_pg_try(
        [](void* p) {
            long secs;
            int usecs;
            TimestampDifference(shown->start, GetCurrentTimestamp(), &secs, &usecs);
            char text[1024];
            snprintf(text, sizeof text, "movie_recs training: %s, %.1f s elapsed | %s",
                     static_cast<const char*>(p), static_cast<double>(secs) + usecs / 1e6,
                     shown->statement != nullptr ? shown->statement : "");
            pgstat_report_activity(STATE_RUNNING, text);
            pgstat_report_query_id(shown->query_id, true);
        },
        const_cast<char*>(phase));
    if (edata != nullptr) FreeErrorData(edata);
}

void restore(void* arg) noexcept {
    Shown* s = static_cast<Shown*>(arg);
    if (shown == s) shown = nullptr;
    if (s->statement == nullptr) return;
    ErrorData* edata = run_pg_try(
        [](void* p) {
            const Shown* c = static_cast<const Shown*>(p);
            pgstat_report_activity(STATE_RUNNING, c->statement);
            pgstat_report_query_id(c->query_id, true);
        },
        s);
    if (edata != nullptr) FreeErrorData(edata);
}

}  // namespace

void progress_begin(MemoryContext cxt) {
    Shown* s = static_cast<Shown*>(MemoryContextAllocZero(cxt, sizeof(Shown)));
    s->start = GetCurrentTimestamp();
    s->cpu_start = cpu_seconds();
    s->query_id = pgstat_get_my_query_id();
    s->statement = debug_query_string != nullptr ? MemoryContextStrdup(cxt, debug_query_string)
                                                 : nullptr;
    s->restore.func = restore;
    s->restore.arg = s;
    MemoryContextRegisterResetCallback(cxt, &s->restore);
    shown = s;
    show("starting");
}

void progress_reading(int64 rows) {
    char phase[96];
    snprintf(phase, sizeof phase, "reading ratings, %lld rows", static_cast<long long>(rows));
    show(phase);
}

void progress_core(const core::Progress& p) noexcept {
    char phase[160];
    if (strcmp(p.phase, "iteration") == 0)
        snprintf(phase, sizeof phase, "k-means iteration %lld of at most %lld, %lld users moved",
                 static_cast<long long>(p.done), static_cast<long long>(p.total),
                 static_cast<long long>(p.moved));
    else if (strcmp(p.phase, "seeding") == 0)
        snprintf(phase, sizeof phase, "k-means++ seeding, %lld of %lld centres",
                 static_cast<long long>(p.done), static_cast<long long>(p.total));
    else if (strcmp(p.phase, "matrix") == 0)
        snprintf(phase, sizeof phase, "building the rating matrix, step %lld of %lld",
                 static_cast<long long>(p.done), static_cast<long long>(p.total));
    else if (strcmp(p.phase, "scoring") == 0 && p.done < p.total)
        snprintf(phase, sizeof phase, "scoring movies per cluster");
    else if (strcmp(p.phase, "scoring") == 0)
        snprintf(phase, sizeof phase, "writing the model");
    else
        snprintf(phase, sizeof phase, "%s", p.phase);
    show(phase);
}

}  // namespace movie_recs::pg
