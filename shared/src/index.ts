export * from "./config.js";
export * from "./dossier.js";
export * from "./logger.js";
export * from "./queueContract.js";
export * from "./redisConnection.js";
export * from "./userRecord.js";
export * from "./userRecordStore.js";
export * from "./serviceProcess.js";
