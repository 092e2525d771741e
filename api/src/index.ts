export { createApp, type AppDependencies } from "./app.js";
export { mintDevelopmentToken, type DevelopmentTokenOptions } from "./auth/developmentToken.js";
export { JwtVerifier } from "./auth/jwtVerifier.js";
export { KeySourceUnavailable, TokenRejected, type TokenVerifier, type VerifiedToken } from "./auth/tokenVerifier.js";
export { startApiServer, type ApiServer } from "./server.js";
