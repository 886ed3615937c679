# The silo (Silo/, assembly Orleans.IoT.Silo). Build from the repository's root:
#   docker build -f deploy/docker/silo.Dockerfile -t orleans-iot-silo .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY Grains.Interfaces/ Grains.Interfaces/
COPY Grains/ Grains/
COPY Gateway/ Gateway/
COPY Silo/ Silo/
RUN dotnet publish Silo/Silo.csproj --configuration Release --output /app -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# appsettings.json listens on localhost only; in a container the probes and peers come from outside.
ENV Urls=http://0.0.0.0:8080
# HTTP (health, metrics, API), Orleans silo-to-silo, Orleans clients (the gateways).
EXPOSE 8080 11111 30000
# The image's unprivileged user.
USER $APP_UID
ENTRYPOINT ["dotnet", "Orleans.IoT.Silo.dll"]
