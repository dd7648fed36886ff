/**
 * The thin reconciler (spec §4.1–§4.3): pure builders of the desired objects, the apply layer,
 * the work queue, leader election and the controller process that ties them together.
 */
export { Controller, type ControllerOptions, type Logger } from './manager.ts';
export { KubeApplier, type Applier, type ObjectRef } from './apply.ts';
export { LeaderElector, decideLease, type LeaderElectorOptions, type LeaseDecision, type LeaseState } from './leader-election.ts';
export { WorkQueue, backoffMs, type ReconcileHandler, type ReconcileResult, type Timers } from './work-queue.ts';
export { checkCrdOwnership, CRD_NAMES, OWNERSHIP_LABEL, OWNERSHIP_VALUE } from './check-crd-ownership.ts';
export { ControllerError, isControllerError, type ControllerErrorCode } from './lib/errors.ts';
export { DEFAULT_SETTINGS, FIELD_MANAGER, FINALIZER, type OperatorSettings } from './lib/names.ts';
export { reconcileMCPAuthServer } from './reconcile-mcpauthserver.ts';
export { reconcileMCPExternalAuthConfig } from './reconcile-mcpexternalauthconfig.ts';
export { reconcileMCPServer } from './reconcile-mcpserver.ts';
export { staticView, type ClusterView, type WatchedKind } from './lib/cluster-view.ts';
export * as desired from './desired/index.ts';
