// How soon an acknowledged write is on disk; one policy for every engine of a shard.
#pragma once

namespace sluice::storage {

enum class Durability {
  kNever,     // written to the OS at once: survives a crash of the process
  kInterval,  // group commit: at most one fsync per fsync_interval, acknowledged after it
  kAlways,    // an fsync for every write batch
};

}  // namespace sluice::storage
