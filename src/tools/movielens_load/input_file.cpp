// Mapping an input file into memory (see input_file.hpp).
#include "input_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "errors.hpp"

namespace movielens_load {

namespace {

[[noreturn]] void fail(const std::string& path, const char* what, int err) {
    throw InputError(path + ": " + what + ": " + std::strerror(err));
}

}  // namespace

InputFile::InputFile(std::string path) : name_(std::move(path)) {
    int fd = ::open(name_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fail(name_, "cannot open", errno);
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        int err = errno;
        ::close(fd);
        fail(name_, "cannot read", err);
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        throw InputError(name_ + ": not a regular file");
    }
    map_size_ = static_cast<std::size_t>(st.st_size);
    if (map_size_ > 0) {
        void* p = ::mmap(nullptr, map_size_, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int err = errno;
            ::close(fd);
            fail(name_, "cannot map into memory", err);
        }
        // Read once, front to back: ask for read-ahead of the whole file.
        ::madvise(p, map_size_, MADV_SEQUENTIAL);
        ::madvise(p, map_size_, MADV_WILLNEED);
        map_ = p;
        content_ = std::string_view(static_cast<const char*>(p), map_size_);
    }
    ::close(fd);
}

InputFile::InputFile(std::string name, std::string_view content)
    : name_(std::move(name)), content_(content) {}

InputFile::~InputFile() {
    if (map_ != nullptr) {
        ::munmap(map_, map_size_);
    }
}

}  // namespace movielens_load
