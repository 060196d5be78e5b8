#include "test_helpers.hpp"

#include <map>
#include <utility>

namespace movie_recs::test {

double adjusted_rand_index(const std::vector<int>& a, const std::vector<int>& b) {
    std::map<std::pair<int, int>, double> joint;
    std::map<int, double> ra, rb;
    for (std::size_t i = 0; i < a.size(); ++i) {
        joint[{a[i], b[i]}] += 1;
        ra[a[i]] += 1;
        rb[b[i]] += 1;
    }
    auto c2 = [](double x) { return x * (x - 1) / 2; };
    double index = 0, sa = 0, sb = 0;
    for (auto& [k, v] : joint) index += c2(v);
    for (auto& [k, v] : ra) sa += c2(v);
    for (auto& [k, v] : rb) sb += c2(v);
    const double n = c2(static_cast<double>(a.size()));
    const double expected = sa * sb / n;
    const double max = (sa + sb) / 2;
    if (max == expected) return 1.0;
    return (index - expected) / (max - expected);
}

}  // namespace movie_recs::test
