#include "cache_levels.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace tandem::analyzer {
namespace {

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Plateau {
  std::size_t first = 0, last = 0;  // sweep indices
  std::vector<double> medians, copy_medians, bests;
  double max_gbps = 0;

  double best() const { return median_of(bests); }
  void add(const SweepPoint& p, std::size_t index) {
    medians.push_back(p.median_gbps);
    bests.push_back(p.best_gbps);
    copy_medians.push_back(p.copy_median_gbps);
    max_gbps = std::max(max_gbps, p.max_gbps);
    last = index;
  }
  void absorb(const Plateau& next) {
    medians.insert(medians.end(), next.medians.begin(), next.medians.end());
    copy_medians.insert(copy_medians.end(), next.copy_medians.begin(), next.copy_medians.end());
    bests.insert(bests.end(), next.bests.begin(), next.bests.end());
    max_gbps = std::max(max_gbps, next.max_gbps);
    last = next.last;
  }
};

constexpr double kNoisyTail = 0.6;

bool flat(double value, double reference) {
  return value >= (1.0 - kFlat) * reference && value <= (1.0 + kFlat) * reference;
}

// Runs of >= 2 points within kFlat of their running median; a point alone between
// two runs is a knee and belongs to no plateau.
std::vector<Plateau> plateaus(const std::vector<SweepPoint>& sweep) {
  std::vector<Plateau> out;
  std::size_t i = 0;
  while (i < sweep.size()) {
    Plateau p{i, i, {}, {}, {}, 0.0};
    p.add(sweep[i], i);
    std::size_t j = i + 1;
    while (j < sweep.size() && flat(sweep[j].best_gbps, p.best())) {
      p.add(sweep[j], j);
      ++j;
    }
    // The sweep ends past the caches: its last point is memory even when noise leaves
    // it more than kFlat from the points before it (but not at a knee's drop).
    if (j + 1 == sweep.size() && sweep[j].best_gbps > kNoisyTail * p.best() &&
        sweep[j].best_gbps < p.best() / kNoisyTail) {
      p.add(sweep[j], j);
      ++j;
    }
    if (p.last > p.first) {
      out.push_back(std::move(p));
      i = j;
    } else {
      ++i;
    }
  }
  // Farther is never faster: a plateau faster than the one before it is noise (or a
  // prefetcher at one size) within that one.
  for (std::size_t k = 1; k < out.size();) {
    if (out[k].best() > out[k - 1].best() ||
        median_of(out[k].medians) > median_of(out[k - 1].medians)) {
      out[k - 1].absorb(out[k]);
      out.erase(out.begin() + static_cast<std::ptrdiff_t>(k));
      k = std::max<std::size_t>(k - 1, 1);
    } else {
      ++k;
    }
  }
  return out;
}

struct Reported {
  const char* name;
  std::int64_t bytes;
  bool shared;  // by the threads: compared with all threads' working sets
};

// Which reported level each cache plateau is: in order when there are at least as
// many plateaus as levels, else the increasing assignment whose capacities are
// closest (on a log scale) to where the plateaus end (two levels read at the same
// rate make one plateau).
std::vector<int> assign(const std::vector<std::int64_t>& ends, const std::vector<Reported>& levels,
                        int threads) {
  const std::size_t k = ends.size(), n = levels.size();
  std::vector<int> best(k);
  for (std::size_t i = 0; i < k; ++i) best[i] = static_cast<int>(i);
  if (k >= n || k == 0) return best;
  double best_cost = std::numeric_limits<double>::infinity();
  // Every increasing choice of k levels out of n (n <= 3): a bit mask with k bits set.
  for (unsigned mask = 0; mask < (1u << n); ++mask) {
    if (static_cast<std::size_t>(__builtin_popcount(mask)) != k) continue;
    std::vector<int> pick;
    for (std::size_t l = 0; l < n; ++l) {
      if (mask & (1u << l)) pick.push_back(static_cast<int>(l));
    }
    double cost = 0;
    for (std::size_t i = 0; i < k; ++i) {
      const Reported& r = levels[static_cast<std::size_t>(pick[i])];
      const double end = static_cast<double>(ends[i]) * (r.shared ? threads : 1);
      cost += std::abs(std::log2(end / static_cast<double>(r.bytes)));
    }
    if (cost < best_cost) {
      best_cost = cost;
      best = pick;
    }
  }
  return best;
}

}  // namespace

std::vector<MemoryLevel> find_levels(const std::vector<SweepPoint>& sweep, int threads,
                                     const ReportedCaches& cpuinfo) {
  std::vector<Reported> reported;
  if (cpuinfo.l1d_bytes > 0) reported.push_back({"L1", cpuinfo.l1d_bytes, false});
  if (cpuinfo.l2_bytes > 0) reported.push_back({"L2", cpuinfo.l2_bytes, false});
  if (cpuinfo.l3_bytes > 0) reported.push_back({"L3", cpuinfo.l3_bytes, true});

  // The last plateau is memory when the sweep ends on it and a cache plateau precedes it.
  std::vector<Plateau> found = plateaus(sweep);
  const bool ends_in_memory = found.size() >= 2 && found.back().last + 1 == sweep.size();
  std::size_t caches = found.size() - (ends_in_memory ? 1 : 0);
  while (!reported.empty() && caches > reported.size()) {
    std::size_t closest = 1;  // merge caches closest - 1 and closest
    for (std::size_t k = 2; k < caches; ++k) {
      if (found[k].best() / found[k - 1].best() >
          found[closest].best() / found[closest - 1].best()) {
        closest = k;
      }
    }
    found[closest - 1].absorb(found[closest]);
    found.erase(found.begin() + static_cast<std::ptrdiff_t>(closest));
    --caches;
  }
  std::vector<std::int64_t> ends;
  for (std::size_t i = 0; i < caches; ++i) ends.push_back(sweep[found[i].last].bytes);
  const std::vector<int> names = assign(ends, reported, threads);

  std::vector<MemoryLevel> out;
  for (std::size_t i = 0; i < found.size(); ++i) {
    const Plateau& p = found[i];
    MemoryLevel level;
    level.from_bytes = sweep[p.first].bytes;
    level.to_bytes = sweep[p.last].bytes;
    level.gbps = median_of(p.medians);
    level.copy_gbps = median_of(p.copy_medians);
    level.max_gbps = p.max_gbps;
    if (i == caches) {
      level.name = "memory";
      out.push_back(level);
      continue;
    }
    const auto r = static_cast<std::size_t>(names[i]);
    const bool known = r < reported.size();
    level.name = known ? std::string(reported[r].name) : fmt::format("L{}", r + 1);
    const std::int64_t scale = known && reported[r].shared ? threads : 1;
    const std::int64_t fits = level.to_bytes * scale;
    if (known) {
      // cpuinfo agrees when its capacity lies between half the largest working set on
      // the plateau and twice the first that fell off it.
      level.cpuinfo_bytes = reported[r].bytes;
      const bool below = level.cpuinfo_bytes * 2 < fits;
      const bool above =
          p.last + 1 < sweep.size() && level.cpuinfo_bytes > 2 * sweep[p.last + 1].bytes * scale;
      level.agrees_with_cpuinfo = !below && !above;
      // A cache larger than it measures (a VM reporting the host's) is sized by the
      // measurement; a plateau running past cpuinfo's capacity is the next level
      // reading as fast, not a larger cache, so cpuinfo's size stands.
      level.effective_bytes = above ? fits : level.cpuinfo_bytes;
    } else {
      level.effective_bytes = fits;
    }
    out.push_back(level);
  }
  return out;
}

const MemoryLevel* level_for(const std::vector<MemoryLevel>& levels, std::int64_t bytes) {
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (bytes <= levels[i].to_bytes) return &levels[i];
    if (i + 1 < levels.size() && bytes < levels[i + 1].from_bytes) return &levels[i];
  }
  return levels.empty() ? nullptr : &levels.back();
}

}  // namespace tandem::analyzer
