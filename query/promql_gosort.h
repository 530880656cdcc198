// Go 1.19's sort.Sort (pattern-defeating quicksort) and container/heap, step for step.
//
// Prometheus orders sort()/sort_desc() results, topk/bottomk groups and quantile inputs with
// them, using comparisons that are not strict weak orders once NaN is involved and that leave
// ties unordered; the order PromQL answers with is whatever these exact algorithms produce, so
// we run the same ones (Debian's Prometheus 2.42 is built with Go 1.19).
//
// `Data` provides: int Len() const; bool Less(int i, int j) const; void Swap(int i, int j).
#pragma once

#include <bit>
#include <cstdint>

namespace sluice::query::promql::internal::gosort {

namespace detail {

enum class Hint { kUnknown, kIncreasing, kDecreasing };

template <typename Data>
void InsertionSort(Data& d, int a, int b) {
  for (int i = a + 1; i < b; ++i) {
    for (int j = i; j > a && d.Less(j, j - 1); --j) d.Swap(j, j - 1);
  }
}

template <typename Data>
void SiftDown(Data& d, int lo, int hi, int first) {
  int root = lo;
  while (true) {
    int child = 2 * root + 1;
    if (child >= hi) break;
    if (child + 1 < hi && d.Less(first + child, first + child + 1)) ++child;
    if (!d.Less(first + root, first + child)) return;
    d.Swap(first + root, first + child);
    root = child;
  }
}

template <typename Data>
void HeapSort(Data& d, int a, int b) {
  int first = a;
  int hi = b - a;
  for (int i = (hi - 1) / 2; i >= 0; --i) SiftDown(d, i, hi, first);
  for (int i = hi - 1; i >= 0; --i) {
    d.Swap(first, first + i);
    SiftDown(d, 0, i, first);
  }
}

template <typename Data>
int Partition(Data& d, int a, int b, int pivot, bool* already_partitioned) {
  d.Swap(a, pivot);
  int i = a + 1;
  int j = b - 1;
  while (i <= j && d.Less(i, a)) ++i;
  while (i <= j && !d.Less(j, a)) --j;
  if (i > j) {
    d.Swap(j, a);
    *already_partitioned = true;
    return j;
  }
  d.Swap(i, j);
  ++i;
  --j;
  while (true) {
    while (i <= j && d.Less(i, a)) ++i;
    while (i <= j && !d.Less(j, a)) --j;
    if (i > j) break;
    d.Swap(i, j);
    ++i;
    --j;
  }
  d.Swap(j, a);
  *already_partitioned = false;
  return j;
}

template <typename Data>
int PartitionEqual(Data& d, int a, int b, int pivot) {
  d.Swap(a, pivot);
  int i = a + 1;
  int j = b - 1;
  while (true) {
    while (i <= j && !d.Less(a, i)) ++i;
    while (i <= j && d.Less(a, j)) --j;
    if (i > j) break;
    d.Swap(i, j);
    ++i;
    --j;
  }
  return i;
}

template <typename Data>
bool PartialInsertionSort(Data& d, int a, int b) {
  constexpr int kMaxSteps = 5;
  constexpr int kShortestShifting = 50;
  int i = a + 1;
  for (int step = 0; step < kMaxSteps; ++step) {
    while (i < b && !d.Less(i, i - 1)) ++i;
    if (i == b) return true;
    if (b - a < kShortestShifting) return false;
    d.Swap(i, i - 1);
    if (i - a >= 2) {
      for (int j = i - 1; j >= 1; --j) {
        if (!d.Less(j, j - 1)) break;
        d.Swap(j, j - 1);
      }
    }
    if (b - i >= 2) {
      for (int j = i + 1; j < b; ++j) {
        if (!d.Less(j, j - 1)) break;
        d.Swap(j, j - 1);
      }
    }
  }
  return false;
}

inline int BitLen(uint64_t x) { return 64 - std::countl_zero(x); }

template <typename Data>
void BreakPatterns(Data& d, int a, int b) {
  int length = b - a;
  if (length < 8) return;
  uint64_t random = static_cast<uint64_t>(length);  // Go 1.19's xorshift(length)
  uint64_t modulus = uint64_t{1} << BitLen(static_cast<uint64_t>(length));
  for (int idx = a + (length / 4) * 2 - 1; idx <= a + (length / 4) * 2 + 1; ++idx) {
    random ^= random << 13;
    random ^= random >> 17;
    random ^= random << 5;
    int other = static_cast<int>(random & (modulus - 1));
    if (other >= length) other -= length;
    d.Swap(idx, a + other);
  }
}

template <typename Data>
void Order2(Data& d, int& a, int& b, int* swaps) {
  if (d.Less(b, a)) {
    ++*swaps;
    int t = a;
    a = b;
    b = t;
  }
}

template <typename Data>
int Median(Data& d, int a, int b, int c, int* swaps) {
  Order2(d, a, b, swaps);
  Order2(d, b, c, swaps);
  Order2(d, a, b, swaps);
  return b;
}

template <typename Data>
int ChoosePivot(Data& d, int a, int b, Hint* hint) {
  constexpr int kShortestNinther = 50;
  constexpr int kMaxSwaps = 4 * 3;
  int l = b - a;
  int swaps = 0;
  int i = a + l / 4 * 1;
  int j = a + l / 4 * 2;
  int k = a + l / 4 * 3;
  if (l >= 8) {
    if (l >= kShortestNinther) {
      i = Median(d, i - 1, i, i + 1, &swaps);
      j = Median(d, j - 1, j, j + 1, &swaps);
      k = Median(d, k - 1, k, k + 1, &swaps);
    }
    j = Median(d, i, j, k, &swaps);
  }
  *hint =
      swaps == 0 ? Hint::kIncreasing : (swaps == kMaxSwaps ? Hint::kDecreasing : Hint::kUnknown);
  return j;
}

template <typename Data>
void ReverseRange(Data& d, int a, int b) {
  for (int i = a, j = b - 1; i < j; ++i, --j) d.Swap(i, j);
}

template <typename Data>
void PdqSort(Data& d, int a, int b, int limit) {
  constexpr int kMaxInsertion = 12;
  bool was_balanced = true;
  bool was_partitioned = true;
  while (true) {
    int length = b - a;
    if (length <= kMaxInsertion) {
      InsertionSort(d, a, b);
      return;
    }
    if (limit == 0) {
      HeapSort(d, a, b);
      return;
    }
    if (!was_balanced) {
      BreakPatterns(d, a, b);
      --limit;
    }
    Hint hint;
    int pivot = ChoosePivot(d, a, b, &hint);
    if (hint == Hint::kDecreasing) {
      ReverseRange(d, a, b);
      pivot = (b - 1) - (pivot - a);
      hint = Hint::kIncreasing;
    }
    if (was_balanced && was_partitioned && hint == Hint::kIncreasing) {
      if (PartialInsertionSort(d, a, b)) return;
    }
    if (a > 0 && !d.Less(a - 1, pivot)) {
      a = PartitionEqual(d, a, b, pivot);
      continue;
    }
    bool already_partitioned = false;
    int mid = Partition(d, a, b, pivot, &already_partitioned);
    was_partitioned = already_partitioned;
    int left_len = mid - a;
    int right_len = b - mid;
    int balance_threshold = length / 8;
    if (left_len < right_len) {
      was_balanced = left_len >= balance_threshold;
      PdqSort(d, a, mid, limit);
      a = mid + 1;
    } else {
      was_balanced = right_len >= balance_threshold;
      PdqSort(d, mid + 1, b, limit);
      b = mid;
    }
  }
}

}  // namespace detail

// sort.Sort(data).
template <typename Data>
void Sort(Data& data) {
  int n = data.Len();
  if (n <= 1) return;
  detail::PdqSort(data, 0, n, detail::BitLen(static_cast<uint64_t>(n)));
}

// container/heap's up and down.
template <typename Heap>
void HeapUp(Heap& h, int j) {
  while (true) {
    int i = (j - 1) / 2;
    if (i == j || !h.Less(j, i)) break;
    h.Swap(i, j);
    j = i;
  }
}

template <typename Heap>
void HeapDown(Heap& h, int i0, int n) {
  int i = i0;
  while (true) {
    int j1 = 2 * i + 1;
    if (j1 >= n || j1 < 0) break;
    int j = j1;
    if (int j2 = j1 + 1; j2 < n && h.Less(j2, j1)) j = j2;
    if (!h.Less(j, i)) break;
    h.Swap(i, j);
    i = j;
  }
}

}  // namespace sluice::query::promql::internal::gosort
