export * from './sources';
export * from './incidents';
export * from './claims';
export * from './changes';
export * from './api-keys';
