// The memory levels of a machine, found in its measured read-bandwidth sweep: each
// plateau (a run of working-set sizes read at about the same rate) is a level, the
// drops between them are the knees. cpuinfo's cache sizes only name the plateaus and
// are cross-checked against them: on a VM cpuinfo reports the host's caches.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tandem::analyzer {

// One sweep point: `threads` threads each reading (and copying within) `bytes` of
// their own. Rates are of all threads together; a copy counts bytes read and written.
struct SweepPoint {
  std::int64_t bytes = 0;  // per thread
  double median_gbps = 0;  // read
  double best_gbps = 0;    // read, the best sample: what finds the plateaus
  double max_gbps = 0;     // the best sample of read and copy
  double copy_median_gbps = 0;
};

// cpuinfo's view: one cache of each level (0: absent) and whether it is shared by
// the threads (its capacity is then compared with the working set of all threads).
struct ReportedCaches {
  std::int64_t l1d_bytes = 0, l2_bytes = 0, l3_bytes = 0;
};

struct MemoryLevel {
  std::string name;             // "L1", "L2", "L3", "L4" or "memory"
  std::int64_t from_bytes = 0;  // the plateau's smallest and largest working set,
  std::int64_t to_bytes = 0;    // per thread
  double gbps = 0;              // read: median of the plateau's medians
  double copy_gbps = 0;         // copy (read + write): the same over the plateau
  double max_gbps = 0;          // the best sample on the plateau, read or copy
  // The level's roof: the faster of read and copy (a kernel that reads and writes can
  // move more bytes than one that only reads, where the write path is its own).
  double roof_gbps() const { return gbps > copy_gbps ? gbps : copy_gbps; }
  std::int64_t cpuinfo_bytes = 0;  // what cpuinfo says this level holds (0: nothing)
  bool agrees_with_cpuinfo = false;
  // The capacity the kernels should size themselves from: cpuinfo's where the sweep
  // agrees with it, else the largest working set measured on the plateau (all
  // threads' together for a shared level). 0 for memory.
  std::int64_t effective_bytes = 0;
};

// Plateaus are runs of at least two points each within kFlat of the run's median,
// judged on each size's best sample (a stolen vCPU lowers medians by 15% at one size
// and not its neighbour; the best samples of one level stay within a few percent),
// so that two levels 15% apart, as L2 and L3 of a Zen 4 core on one thread, stay apart.
inline constexpr double kFlat = 0.10;

// The levels of one sweep (points in increasing size, one thread count), fastest
// first; the last is "memory": the plateau the sweep ends on, or its last two points
// when noise leaves them apart (the sweep ends well past the caches). More cache
// plateaus than cpuinfo reports levels is noise splitting one: the two closest in rate
// are merged until the counts agree.
// Rates are made monotonic (a farther level is never reported faster: a plateau
// faster than the one before it is merged into it).
std::vector<MemoryLevel> find_levels(const std::vector<SweepPoint>& sweep, int threads,
                                     const ReportedCaches& cpuinfo);

// The level a working set of `bytes` per thread is read from: the first whose plateau
// reaches it (a size between two plateaus is given the faster one: its roof bounds
// the transition from above). Null when there are no levels.
const MemoryLevel* level_for(const std::vector<MemoryLevel>& levels, std::int64_t bytes);

}  // namespace tandem::analyzer
