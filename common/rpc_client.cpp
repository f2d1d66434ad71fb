#include "common/rpc_client.hpp"

#include "common/rpc_pipeline.hpp"

namespace rpclb {

Result<protocol::CallReply> exchange(zmq::context_t& context, const std::string& endpoint,
                                     const protocol::CallRequest& request, const RpcOptions& options) {
  RpcPipeline pipeline(context, options.curve, options.connect_timeout);
  return pipeline.call(endpoint, request, options.deadline);
}

}  // namespace rpclb
