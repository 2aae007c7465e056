// table_memory.h — a fixed array in memory of its own, for the data plane's big tables.
//
// The flow cache (dataplane/bucket_table.h) and the connection table (conntrack_table.h) are
// read at random; at a million entries and more the page walks of 4 KiB pages cost more than
// the cache misses themselves (10 M connections: 1.24 M inserts/s on 4 KiB pages, 3.0-3.4 M/s
// with huge pages, bench_conntrack). Allocated once at start, never on the packet path.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <utility>

namespace openvpc::conntrack {

// A fixed array in memory of its own: 2 MiB aligned and, when large, marked for transparent
// huge pages, because the flow and connection tables are read at random and at a million
// flows the page walks of 4 KiB pages cost more than the cache misses themselves.
template <typename T>
class TableMemory {
 public:
  explicit TableMemory(size_t count) : count_(count) {
    constexpr size_t kHugePage = size_t{2} << 20;
    const size_t wanted = count * sizeof(T);
    const bool huge = wanted >= 4 * kHugePage;  // small tables: cache-line alignment is enough
    const size_t alignment = huge ? kHugePage : 64;
    const size_t bytes = (wanted + alignment - 1) / alignment * alignment;
    data_ = static_cast<T*>(std::aligned_alloc(alignment, bytes));
    if (data_ == nullptr) throw std::bad_alloc();
    if (huge) madvise(data_, bytes, MADV_HUGEPAGE);  // a hint; failure is harmless
    std::uninitialized_value_construct_n(data_, count);
  }
  ~TableMemory() { release(); }
  TableMemory(TableMemory&& other) noexcept
      : count_(std::exchange(other.count_, 0)), data_(std::exchange(other.data_, nullptr)) {}
  TableMemory& operator=(TableMemory&& other) noexcept {
    if (this != &other) {
      release();
      count_ = std::exchange(other.count_, 0);
      data_ = std::exchange(other.data_, nullptr);
    }
    return *this;
  }
  TableMemory(const TableMemory&) = delete;
  TableMemory& operator=(const TableMemory&) = delete;

  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  size_t size() const { return count_; }

 private:
  void release() {
    if (data_ == nullptr) return;
    std::destroy_n(data_, count_);
    std::free(data_);
    data_ = nullptr;
  }

  size_t count_;
  T* data_;
};

}  // namespace openvpc::conntrack
