// movie_recs_loadgen: closed-loop load on one server through libpq, with the latency of every
// call measured on a monotonic clock (pgbench's per-transaction log shows zero latencies for
// sub-millisecond transactions on this machine, so bench/serve takes percentiles from here).
//
//   movie_recs_loadgen --conninfo STR --clients C --duration S --sql QUERY [--low L --high H]
//
// Each client is one thread with its own connection. QUERY is prepared once per connection and
// executed in a loop for S seconds; when it has a parameter $1, it gets a bigint drawn uniformly
// from [L, H] for each call. Prints one line:
//     transactions=N seconds=S tps=T median_ms=M p99_ms=P errors=E cpu_s=C
// (C: the CPU time, user and system, this program used, connecting included).
#include <libpq-fe.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
    std::string conninfo;
    int clients = 16;
    double duration = 30;
    std::string sql;
    long long low = 0, high = 0;
};

[[noreturn]] void usage(const std::string& msg) {
    std::fprintf(stderr,
                 "error: %s\nusage: movie_recs_loadgen --conninfo STR --clients C --duration S "
                 "--sql QUERY [--low L --high H]\n",
                 msg.c_str());
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (i + 1 >= argc) usage("missing value for " + a);
        const char* v = argv[++i];
        if (a == "--conninfo") o.conninfo = v;
        else if (a == "--clients") o.clients = std::atoi(v);
        else if (a == "--duration") o.duration = std::atof(v);
        else if (a == "--sql") o.sql = v;
        else if (a == "--low") o.low = std::atoll(v);
        else if (a == "--high") o.high = std::atoll(v);
        else usage("unknown argument " + a);
    }
    if (o.sql.empty() || o.clients < 1 || o.duration <= 0 || o.high < o.low) usage("bad options");
    return o;
}

struct Client {
    std::vector<float> latencies_us;
    long long errors = 0;
    std::string failure;
};

void run(const Options& o, int id, Clock::time_point start, Clock::time_point stop,
         std::atomic<int>& ready, Client* out) {
    PGconn* conn = PQconnectdb(o.conninfo.c_str());
    if (PQstatus(conn) != CONNECTION_OK) {
        out->failure = PQerrorMessage(conn);
        PQfinish(conn);
        ++ready;
        return;
    }
    const bool param = o.sql.find("$1") != std::string::npos;
    PGresult* prep = PQprepare(conn, "q", o.sql.c_str(), param ? 1 : 0, nullptr);
    if (PQresultStatus(prep) != PGRES_COMMAND_OK) {
        out->failure = PQerrorMessage(conn);
        PQclear(prep);
        PQfinish(conn);
        ++ready;
        return;
    }
    PQclear(prep);
    ++ready;
    std::mt19937_64 rng(static_cast<std::uint64_t>(id) * 7919 + 17);
    const auto span = static_cast<unsigned long long>(o.high - o.low) + 1;
    std::this_thread::sleep_until(start);
    out->latencies_us.reserve(1 << 20);
    char value[32];
    const char* values[1] = {value};
    while (Clock::now() < stop) {
        std::snprintf(value, sizeof value, "%lld",
                      static_cast<long long>(o.low + static_cast<long long>(rng() % span)));
        const auto t0 = Clock::now();
        PGresult* r = PQexecPrepared(conn, "q", param ? 1 : 0, param ? values : nullptr, nullptr,
                                     nullptr, 0);
        const auto t1 = Clock::now();
        if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
            if (out->errors++ == 0) out->failure = PQerrorMessage(conn);
        }
        PQclear(r);
        if (t1 <= stop)
            out->latencies_us.push_back(
                static_cast<float>(std::chrono::duration<double, std::micro>(t1 - t0).count()));
    }
    PQfinish(conn);
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    std::vector<Client> clients(static_cast<std::size_t>(o.clients));
    std::vector<std::thread> threads;
    std::atomic<int> ready{0};
    // Everyone connects first; the clock starts two seconds later (or once all are ready).
    const auto start = Clock::now() + std::chrono::seconds(2);
    const auto stop = start + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(o.duration));
    for (int c = 0; c < o.clients; ++c)
        threads.emplace_back(run, std::cref(o), c, start, stop, std::ref(ready),
                             &clients[static_cast<std::size_t>(c)]);
    for (auto& t : threads) t.join();
    std::vector<float> all;
    long long errors = 0;
    for (const auto& c : clients) {
        if (!c.failure.empty() && c.latencies_us.empty()) {
            std::fprintf(stderr, "movie_recs_loadgen: %s", c.failure.c_str());
            return 1;
        }
        all.insert(all.end(), c.latencies_us.begin(), c.latencies_us.end());
        errors += c.errors;
    }
    if (all.empty()) {
        std::fprintf(stderr, "movie_recs_loadgen: no transaction completed\n");
        return 1;
    }
    std::sort(all.begin(), all.end());
    const auto at = [&](double q) {
        const auto i = static_cast<std::size_t>(std::min<double>(
            static_cast<double>(all.size()) - 1, std::ceil(q * static_cast<double>(all.size())) - 1));
        return static_cast<double>(all[i]) / 1000.0;
    };
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                       static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    std::printf(
        "transactions=%zu seconds=%.3f tps=%.1f median_ms=%.3f p99_ms=%.3f errors=%lld cpu_s=%.2f\n",
        all.size(), o.duration, static_cast<double>(all.size()) / o.duration, at(0.5), at(0.99),
        errors, cpu);
    if (errors > 0) {
        for (const auto& c : clients)
            if (!c.failure.empty()) {
                std::fprintf(stderr, "movie_recs_loadgen: %s", c.failure.c_str());
                break;
            }
    }
    return errors > 0 ? 1 : 0;
}
