// movielens-load: loads a MovieLens release into PostgreSQL (see README.md and --help).
#include <cstdio>
#include <new>
#include <string>

#include "errors.hpp"
#include "loader.hpp"
#include "options.hpp"
#include "progress.hpp"

#ifndef MOVIELENS_LOAD_VERSION
#define MOVIELENS_LOAD_VERSION "unknown"
#endif

using namespace movielens_load;

int main(int argc, char** argv) {
    Progress progress(Progress::Mode::Quiet);
    auto fail = [&](const char* what, int code) {
        progress.break_line();
        std::fprintf(stderr, "movielens-load: %s\n", what);
        return code;
    };
    try {
        Options o = parse_options(argc, argv);
        if (o.help) {
            std::fputs(usage_text(), stdout);
            return kExitOk;
        }
        if (o.version) {
            std::printf("movielens-load %s\n", MOVIELENS_LOAD_VERSION);
            return kExitOk;
        }
        progress = Progress(Progress::mode_for_stderr(o.quiet));
        LoadSummary s = run_load(o, progress);
        if (!o.quiet) {
            std::printf("%s\n", describe(s).c_str());
        }
        return kExitOk;
    } catch (const InputError& e) {
        return fail(e.what(), kExitBadInput);
    } catch (const ServerError& e) {
        return fail((std::string(e.what()) + "\nnothing was loaded").c_str(), kExitServerError);
    } catch (const std::bad_alloc&) {
        return fail("out of memory; nothing was loaded", kExitOther);
    } catch (const std::exception& e) {
        return fail((std::string("internal error: ") + e.what() + "; nothing was loaded").c_str(),
                    kExitOther);
    }
}
