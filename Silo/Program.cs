using Microsoft.Extensions.Options;
using Orleans.IoT.Silo;

try
{
    var app = await IoTNode.BuildAsync(args);
    await app.RunAsync();
    return 0;
}
catch (ConfigurationException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}
catch (OptionsValidationException ex)
{
    Console.Error.WriteLine("invalid configuration: " + string.Join("; ", ex.Failures));
    return 2;
}
