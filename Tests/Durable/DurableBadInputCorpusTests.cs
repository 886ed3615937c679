using Orleans.IoT.Tests.EndToEnd;
using Xunit.Abstractions;

namespace Orleans.IoT.Tests.Durable;

[Collection(DurableCollection.Name)]
public sealed class DurableBadInputCorpusTests(DurableNodeFixture node, ITestOutputHelper output) : BadInputCorpusTests<DurableNodeFixture>(node, output)
{
    /// <summary>Rows in sensor_readings, whatever their sensor type.</summary>
    protected override long StoredReadings(string deviceId, IEnumerable<string> sensorTypes) => Node.CountReadings(deviceId);
}
