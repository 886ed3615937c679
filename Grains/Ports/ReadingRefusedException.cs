namespace Orleans.IoT.Grains.Ports;

/// <summary>
/// The history store refused one reading for what it holds (a value the database cannot keep). Only that reading
/// fails; the rest of its batch is stored.
/// </summary>
public sealed class ReadingRefusedException(string message, Exception? innerException = null) : Exception(message, innerException);
