using Orleans.IoT.Gateway.Configuration;
using Orleans.IoT.Silo;

return await StartupConfiguration.RunAsync(() => IoTNode.BuildAsync(args));
