namespace Letter.Common;

/// <summary>This process's resident memory, from /proc/self/status (Linux; -1 elsewhere), for benchmarks of any model.</summary>
public static class ProcessMemory
{
    /// <summary>The peak resident set so far (VmHWM), in MiB.</summary>
    public static long PeakRssMb() => StatusMb("VmHWM:");

    /// <summary>The resident set now (VmRSS), in MiB.</summary>
    public static long RssMb() => StatusMb("VmRSS:");

    private static long StatusMb(string field)
    {
        if (!File.Exists("/proc/self/status")) return -1;
        // the value follows a tab or spaces: split on any whitespace (a tab broke a fixed split above ~10 GB)
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field)) return long.Parse(line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
        return -1;
    }
}
