# The gateway (GatewayHost/, assembly Orleans.IoT.GatewayHost). Build from the repository's root:
#   docker build -f deploy/docker/gateway.Dockerfile -t orleans-iot-gateway .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY Grains.Interfaces/ Grains.Interfaces/
COPY Gateway/ Gateway/
COPY GatewayHost/ GatewayHost/
RUN dotnet publish GatewayHost/GatewayHost.csproj --configuration Release --output /app -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# appsettings.json listens on localhost only; in a container the probes and clients come from outside.
ENV Urls=http://0.0.0.0:8080
# HTTP (health, metrics, API) and MQTT.
EXPOSE 8080 1883
# The image's unprivileged user.
USER $APP_UID
ENTRYPOINT ["dotnet", "Orleans.IoT.GatewayHost.dll"]
