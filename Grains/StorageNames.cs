namespace Orleans.IoT.Grains;

/// <summary>Names of the grain storage providers the grains use; the silo registers one per name.</summary>
public static class StorageNames
{
    public const string Devices = "devices";
}
