// Route: Alertmanager's routing tree (dispatch/route.go), built from a RouteConfig.
//
// Each node holds its effective options (inherited from its parent, Alertmanager's defaults at
// the root: group_wait 30s, group_interval 5m, repeat_interval 4h, no grouping). Match() walks the
// tree depth-first, left to right: a node matches when all its matchers do; its children are
// tried in order and the first matching child stops the search unless it has `continue`; a node
// none of whose children match is itself the result.
//
// Group keys are Alertmanager's, byte for byte, since receivers see them in the webhook payload
// and dedup on them: route.Key() + ":" + groupLabels.String(), where Key() is the parent's key,
// "/", then the node's sorted matchers, e.g. `{}/{severity="critical"}:{alertname="Disk"}`.
//
// Immutable once built; safe to share between threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "alerting/notify_config.h"
#include "storage/label_matcher.h"
#include "storage/labels.h"

namespace sluice::alerting {

struct RouteOpts {
  std::string receiver;
  std::vector<std::string> group_by;  // sorted, unique
  bool group_by_all = false;          // '...': every label of the alert
  int64_t group_wait_ms = 30'000;
  int64_t group_interval_ms = 5 * 60'000;
  int64_t repeat_interval_ms = 4 * 3600'000;
};

class Route {
 public:
  // The tree for `root` (the config's root route).
  static std::unique_ptr<Route> Build(const RouteConfig& root);

  Route(const Route&) = delete;
  Route& operator=(const Route&) = delete;

  // The routes `labels` (an alert's, canonical) is dispatched to; empty when the root's
  // matchers do not match (the root of a valid config has none).
  std::vector<const Route*> Match(const storage::Labels& labels) const;

  // The labels of `alert_labels` this route groups by (all of them for '...').
  storage::Labels GroupLabels(const storage::Labels& alert_labels) const;
  // "<Key()>:<group labels as {a="x", b="y"}>".
  std::string GroupKey(const storage::Labels& group_labels) const;

  const std::string& key() const { return key_; }
  // key() plus the position among its siblings: unique within a tree.
  const std::string& id() const { return id_; }
  const RouteOpts& opts() const { return opts_; }
  const storage::LabelMatchers& matchers() const { return matchers_; }
  bool continue_matching() const { return continue_; }
  const Route* parent() const { return parent_; }
  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }

  // Visits this node, then its subtrees depth-first in order.
  void Walk(const std::function<void(const Route&)>& visit) const;

 private:
  Route(const RouteConfig& config, const Route* parent, int position);

  const Route* parent_;
  RouteOpts opts_;
  storage::LabelMatchers matchers_;
  bool continue_ = false;
  std::string key_;
  std::string id_;
  std::vector<std::unique_ptr<Route>> routes_;
};

// Alertmanager's labels.Matchers.String(): {a="x",b=~"y"} with values escaped as OpenMetrics
// does (\\, \", \n), in the given order.
std::string MatchersString(const storage::LabelMatchers& matchers);

}  // namespace sluice::alerting
