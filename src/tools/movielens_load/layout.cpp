// Detection of the MovieLens release layout (see layout.hpp).
#include "layout.hpp"

#include <sys/stat.h>

#include <vector>

#include "errors.hpp"

namespace movielens_load {

namespace {

bool exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

Layout make(Format format, const std::string& release, Encoding enc, const std::string& dir) {
    Layout l;
    l.format = format;
    l.release = release;
    l.text_encoding = enc;
    switch (format) {
        case Format::Ml100k:
            l.ratings_path = dir + "/u.data";
            l.movies_path = dir + "/u.item";
            l.genres_path = dir + "/u.genre";
            break;
        case Format::Dat:
            l.ratings_path = dir + "/ratings.dat";
            l.movies_path = dir + "/movies.dat";
            break;
        case Format::Csv:
            l.ratings_path = dir + "/ratings.csv";
            l.movies_path = dir + "/movies.csv";
            break;
    }
    return l;
}

// Throws when one of the files of l is missing.
void require_files(const Layout& l) {
    std::vector<std::string> files{l.ratings_path, l.movies_path};
    if (!l.genres_path.empty()) {
        files.push_back(l.genres_path);
    }
    for (const auto& f : files) {
        if (!exists(f)) {
            throw InputError(f + ": file not found (a " + l.release + " release needs it)");
        }
    }
}

}  // namespace

Layout detect_layout(const std::string& dir_arg, const std::string& forced) {
    std::string dir = dir_arg;
    while (dir.size() > 1 && dir.back() == '/') {
        dir.pop_back();
    }
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        throw InputError(dir + ": not a directory");
    }
    Layout l;
    if (!forced.empty()) {
        if (forced == "ml-100k") {
            l = make(Format::Ml100k, "ml-100k", Encoding::Latin1, dir);
        } else if (forced == "ml-1m") {
            l = make(Format::Dat, "ml-1m", Encoding::Latin1, dir);
        } else if (forced == "ml-10m") {
            l = make(Format::Dat, "ml-10m", Encoding::Utf8, dir);
        } else if (forced == "csv") {
            l = make(Format::Csv, "csv", Encoding::Utf8, dir);
        } else {
            throw InputError("unknown --layout '" + forced +
                             "' (expected ml-100k, ml-1m, ml-10m or csv)");
        }
    } else if (exists(dir + "/ratings.csv") || exists(dir + "/movies.csv")) {
        l = make(Format::Csv, "csv", Encoding::Utf8, dir);
    } else if (exists(dir + "/ratings.dat") || exists(dir + "/movies.dat")) {
        // ml-1m ships users.dat and Latin-1 titles; ml-10m has no users.dat and is UTF-8.
        if (exists(dir + "/users.dat")) {
            l = make(Format::Dat, "ml-1m", Encoding::Latin1, dir);
        } else {
            l = make(Format::Dat, "ml-10m", Encoding::Utf8, dir);
        }
    } else if (exists(dir + "/u.data") || exists(dir + "/u.item")) {
        l = make(Format::Ml100k, "ml-100k", Encoding::Latin1, dir);
    } else {
        throw InputError(dir +
                         ": no MovieLens release found (expected ratings.csv and movies.csv, "
                         "ratings.dat and movies.dat, or u.data, u.item and u.genre)");
    }
    require_files(l);
    return l;
}

}  // namespace movielens_load
