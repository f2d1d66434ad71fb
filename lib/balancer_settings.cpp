#include "lib/balancer_settings.hpp"

namespace rpclb {

BalancerOptions balancer_options(ClientOptions settings, std::vector<std::string> bus,
                                 std::optional<CurveConfig> curve) {
  BalancerOptions options;
  options.bus = std::move(bus);
  options.group = std::move(settings.group);
  options.algorithm = std::move(settings.algorithm);
  options.algorithm_options.insert(settings.algorithm_options.begin(), settings.algorithm_options.end());
  options.algorithm_plugins = std::move(settings.algorithm_plugins);
  options.algorithm_factory = std::move(settings.algorithm_factory);
  options.algorithm_object = std::move(settings.algorithm_object);
  options.match = std::move(settings.match);
  options.bus_timeout = settings.bus_timeout;
  options.connect_timeout = settings.connect_timeout;
  options.retry = {settings.retries, settings.retry_on_timeout};
  options.wait_for_member = settings.wait_for_member;
  options.failure_memory = settings.failure_memory;
  options.membership_refresh = settings.membership_refresh;
  options.shared_state = settings.shared_state;
  options.curve = std::move(curve);
  return options;
}

}  // namespace rpclb
