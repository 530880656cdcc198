// Puts the daemon's heap on transparent huge pages, through glibc's malloc tunable.
//
// The metrics write path touches every active series' index entry, head and key for each scrape:
// a few hundred bytes per series scattered over hundreds of megabytes of heap. On 4 KiB pages
// nearly every one of those accesses also misses the TLB; on 2 MiB pages (glibc.malloc.hugetlb=1:
// malloc madvises its arenas MADV_HUGEPAGE) the remote-write path spends about 5% less CPU and
// RSS does not grow (docs/performance.md). Go's runtime does the same for its heap.
#pragma once

namespace sluice::daemon {

// glibc reads GLIBC_TUNABLES once, before main: when the tunable is not set yet, this sets it and
// starts the same binary again with the same arguments (same pid). It returns, doing nothing,
// when SLUICE_HUGE_PAGE_HEAP=0, when GLIBC_TUNABLES already names the tunable (the operator's
// choice, or this is the second start), when the kernel has transparent huge pages disabled, or
// when the exec fails.
void MaybeRestartWithHugePageHeap(char** argv);

}  // namespace sluice::daemon
