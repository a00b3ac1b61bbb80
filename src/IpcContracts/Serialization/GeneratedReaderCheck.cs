using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace IpcContracts.Serialization;

/// <summary>
/// Decides whether a generated reader may read a type for one <see cref="JsonTypeInfo"/>: only when System.Text.Json's
/// own metadata says it would read that type the way the reader does (the same constructor, parameter for parameter;
/// built-in converters; strict numbers; case-sensitive names; no callbacks, polymorphism, extension data, references or
/// populated members). The generator only sees the C# type; options, resolvers and attributes it does not model show up
/// here, and any doubt means System.Text.Json reads the type as before.
/// </summary>
internal static class GeneratedReaderCheck
{
    /// <returns>The names to read with, or null with <paramref name="whyNot"/> saying what rules the reader out.</returns>
    public static GeneratedReaderNames? Check(JsonTypeInfo typeInfo, GeneratedReaderParameter[] parameters, out string? whyNot)
    {
        whyNot = WhyNotUsable(typeInfo);
        if (whyNot is not null)
            return null;

        var names = new byte[typeInfo.Properties.Count][];
        var targets = new int[names.Length];
        var filled = new bool[parameters.Length];
        for (var i = 0; i < names.Length; i++)
        {
            var property = typeInfo.Properties[i];
            names[i] = Encoding.UTF8.GetBytes(property.Name);
            if (property.IsExtensionData || property.CustomConverter is not null || property.NumberHandling is not null ||
                property.ObjectCreationHandling is not (null or JsonObjectCreationHandling.Replace))
            {
                whyNot = $"member '{property.Name}' has its own converter, number handling, creation handling or is extension data";
                return null;
            }
            if (property.AssociatedParameter is { } parameter)
            {
                var position = parameter.Position;
                if (parameter.IsMemberInitializer || position >= parameters.Length || filled[position] ||
                    parameter.Name != parameters[position].Name || parameter.ParameterType != parameters[position].Type ||
                    property.PropertyType != parameter.ParameterType)
                {
                    whyNot = $"member '{property.Name}' is bound to a constructor parameter the generated reader does not have";
                    return null;
                }
                filled[position] = true;
                targets[i] = position;
            }
            else if (property.Set is null)
            {
                // Written, never read back: System.Text.Json skips its value, and so does the reader.
                targets[i] = GeneratedReaderNames.Skipped;
            }
            else
            {
                whyNot = $"member '{property.Name}' is set outside the constructor";
                return null;
            }
        }
        for (var position = 0; position < parameters.Length; position++)
        {
            if (!filled[position])
            {
                whyNot = $"constructor parameter '{parameters[position].Name}' matches no member in the metadata";
                return null;
            }
            if (!IsBuiltIn(typeInfo.Options, parameters[position].Type))
            {
                whyNot = $"constructor parameter '{parameters[position].Name}' is not read by System.Text.Json's built-in converter for {parameters[position].Type.Name}";
                return null;
            }
        }
        return new GeneratedReaderNames(names, targets);
    }

    private static string? WhyNotUsable(JsonTypeInfo typeInfo)
    {
        if (typeInfo.Kind != JsonTypeInfoKind.Object)
            return $"System.Text.Json reads it with a {typeInfo.Kind} converter, not as an object";
        if (typeInfo.CreateObject is not null)
            return "System.Text.Json creates it with a parameterless constructor";
        if (typeInfo.PolymorphismOptions is not null || typeInfo.OnDeserializing is not null || typeInfo.OnDeserialized is not null)
            return "it is polymorphic or has deserialization callbacks";
        if (typeInfo.NumberHandling is not null || typeInfo.UnmappedMemberHandling is not (null or JsonUnmappedMemberHandling.Skip) ||
            typeInfo.PreferredPropertyObjectCreationHandling is not (null or JsonObjectCreationHandling.Replace))
            return "it sets number, unmapped-member or creation handling";
        var options = typeInfo.Options;
        if (options.PropertyNameCaseInsensitive || options.NumberHandling != JsonNumberHandling.Strict || options.ReferenceHandler is not null ||
            options.Converters.Count != 0 || options.UnmappedMemberHandling != JsonUnmappedMemberHandling.Skip ||
            options.PreferredObjectCreationHandling != JsonObjectCreationHandling.Replace)
            return "the serializer options are not the defaults a generated reader follows";
        return null;
    }

    /// <summary>Whether <paramref name="options"/> reads <paramref name="type"/> with the built-in converter the reader imitates.</summary>
    private static bool IsBuiltIn(JsonSerializerOptions options, Type type)
    {
        JsonConverter? builtIn =
            type == typeof(string) ? JsonMetadataServices.StringConverter :
            type == typeof(bool) ? JsonMetadataServices.BooleanConverter :
            type == typeof(int) ? JsonMetadataServices.Int32Converter :
            type == typeof(long) ? JsonMetadataServices.Int64Converter :
            type == typeof(double) ? JsonMetadataServices.DoubleConverter :
            type == typeof(float) ? JsonMetadataServices.SingleConverter :
            type == typeof(decimal) ? JsonMetadataServices.DecimalConverter :
            type == typeof(Guid) ? JsonMetadataServices.GuidConverter :
            type == typeof(DateTime) ? JsonMetadataServices.DateTimeConverter :
            type == typeof(DateTimeOffset) ? JsonMetadataServices.DateTimeOffsetConverter :
            null;
        if (builtIn is null)
            return false;
        try
        {
            return ReferenceEquals(options.GetTypeInfo(type).Converter, builtIn);
        }
        catch (NotSupportedException)
        {
            return false;
        }
    }
}
