using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.GatewayHost;

return await StartupConfiguration.RunAsync(() => GatewayNode.BuildAsync(args));
