// The alerting inputs that come from files and from storage: rule files (PromQL and LogQL),
// the Alertmanager-format notifications file, alert templates (parsed and executed), and the
// persisted alert state and outbox records. The first byte chooses which.
#include <string>

#include "alerting/alert_state_codec.h"
#include "alerting/notification_delivery.h"
#include "alerting/notify_config.h"
#include "alerting/rule_file.h"
#include "query/alert_template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  using namespace sluice;
  const uint8_t which = data[0] % 6;
  std::string input(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (which) {
    case 0:
      (void)alerting::ParseRuleFile("fuzz.yml", input, alerting::RuleLanguage::kPromQL);
      break;
    case 1:
      (void)alerting::ParseRuleFile("fuzz.yml", input, alerting::RuleLanguage::kLogQL);
      break;
    case 2:
      (void)alerting::ParseNotifyConfig("fuzz.yml", input);
      break;
    case 3: {
      auto tmpl = query::AlertTemplate::Parse(input, "__alert_Fuzz");
      if (!tmpl.ok()) break;
      storage::Labels labels{{"alertname", "Fuzz"}, {"instance", "host:9100"}, {"job", "node"}};
      storage::Labels external{{"cluster", "eu1"}};
      query::AlertTemplateData d;
      d.labels = &labels;
      d.external_labels = &external;
      d.external_url = "http://sluice:3100";
      d.value = 1234.5678;
      d.now_ms = 1'700'000'000'000;
      std::string out;
      (void)(*tmpl)->Execute(d, &out);
      break;
    }
    case 4:
      (void)alerting::DecodeAlertInstance(input);
      break;
    case 5:
      (void)alerting::DecodeNotification(input);
      break;
  }
  return 0;
}
