// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {BLS} from "./lib/BLS.sol";

/// @title MEGA staking: validators, delegation, unbonding, rewards, epochs and the active set
/// @notice
/// - A validator is its operator address. It registers one BLS key (EIP-2537 G1, 128 bytes)
///   with a proof of possession verified on chain over `popMessage(operator, pubkey)`, which
///   binds the key to the operator, the chain id and this contract. One key per validator, one
///   validator per key, forever.
/// - Stake is held in per-validator share pools. Shares are minted rounding down and burned
///   rounding up (the pool, never the user, keeps rounding dust), with a virtual offset that
///   makes a first-depositor inflation attack pointless; `minShares`/`maxShares` bound slippage.
/// - Undelegated stake moves to the validator's unbonding pool (also share-based, so a slash
///   reaches pending unbonds proportionally) and is withdrawable after `unbondingPeriod` seconds.
/// - Epochs are `epochLength` L1 blocks. The active set of an epoch (top `maxValidators` eligible
///   validators by stake, ties to the lower address) is frozen when the epoch starts: every
///   state-changing call first crosses any passed epoch boundary, so the frozen set is exactly the
///   state at the boundary.
/// - Rewards: `rewardPerEpoch` MEGA leaves the reserve at each epoch boundary, split among the
///   previous epoch's set by frozen power; the operator takes its commission, the rest raises
///   the validator's reward-per-share accumulator.
/// - The timelock (governance) alone sets parameters; the Slashing contract alone slashes.
contract StakingManager is ReentrancyGuard {
    using SafeERC20 for IERC20;
    using Checkpoints for Checkpoints.Trace208;

    // ---------------------------------------------------------------- constants

    bytes public constant POP_DST = "BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";
    bytes public constant POP_DOMAIN = "megaseq-pop-v1";
    uint256 public constant BPS = 10_000;
    uint256 public constant MAX_COMMISSION_BPS = 5_000;
    uint256 public constant MAX_COMMISSION_CHANGE_BPS = 500;
    uint256 public constant MAX_UNBONDING_ENTRIES = 16;
    uint256 public constant MAX_CANDIDATES = 100;
    uint256 public constant MAX_ACTIVE_SET = 100;
    uint256 public constant MAX_SLASH_FRACTION_BPS = 5_000;
    uint256 public constant MAX_REPORTER_REWARD_BPS = 5_000;
    /// Virtual shares and assets of every pool (see the contract notice).
    /// Upper bound of rewardPerEpoch (the whole supply), so that rewards over any number of
    /// skipped epochs can never overflow and block epoch crossing.
    uint256 public constant MAX_REWARD_PER_EPOCH = 1e27;
    uint256 public constant VIRTUAL_SHARES = 1e6;
    uint256 public constant VIRTUAL_ASSETS = 1;
    uint256 private constant ACC_SCALE = 1e27;

    // ---------------------------------------------------------------- types

    struct Validator {
        bool registered;
        bool jailed;
        bool tombstoned;
        bool exited;
        uint16 commissionBps;
        uint64 commissionChangedEpoch;
        uint64 jailedUntil;
        uint256 stake;
        uint256 shares;
        uint256 unbondingTokens;
        uint256 unbondingShares;
        uint256 accRewardPerShare;
        bytes blsPubkey;
    }

    struct Delegation {
        uint256 shares;
        uint256 rewardDebt;
        /// MEGA bonded and not yet undelegated (governance weight; see getPastStakedVotes).
        uint256 principal;
    }

    struct Unbonding {
        address validator;
        uint256 shares;
        uint64 unlockTime;
    }

    struct EpochSet {
        bool recorded;
        uint64 startBlock;
        uint64 startTime;
        address[] validators;
        uint256[] powers;
    }

    // ---------------------------------------------------------------- errors

    error NotGovernance();
    error NotSlasher();
    error SlasherAlreadySet();
    error ZeroAddress();
    error AlreadyRegistered(address validator);
    error NotRegistered(address validator);
    error PubkeyTaken();
    error BadPubkeyLength(uint256 length);
    error BadSignatureLength(uint256 length);
    error PubkeyIsInfinity();
    error InvalidProofOfPossession();
    error TooManyCandidates();
    error CommissionTooHigh(uint256 bps, uint256 max);
    error CommissionChangeTooLarge(uint256 fromBps, uint256 toBps);
    error CommissionChangedThisEpoch();
    error SelfStakeTooLow(uint256 amount, uint256 minimum);
    error ZeroAmount();
    error ValidatorNotAcceptingStake(address validator);
    error SlippageExceeded(uint256 shares, uint256 bound);
    error InsufficientShares(uint256 requested, uint256 available);
    error TooManyUnbondingEntries();
    error NothingToWithdraw();
    error NothingToClaim();
    error NotJailed();
    error StillJailed(uint64 until);
    error Tombstoned(address validator);
    error AlreadyExited();
    error BadParameter(string name, uint256 value);
    error EpochNotStarted(uint256 epoch);
    error FutureLookup(uint256 timepoint);

    // ---------------------------------------------------------------- events

    event ValidatorRegistered(address indexed validator, bytes blsPubkey, uint256 commissionBps, uint256 selfStake);
    event Delegated(address indexed delegator, address indexed validator, uint256 amount, uint256 shares);
    event Undelegated(
        address indexed delegator, address indexed validator, uint256 amount, uint256 shares, uint64 unlockTime
    );
    event Withdrawn(address indexed delegator, address indexed validator, uint256 amount);
    event CommissionChanged(address indexed validator, uint256 fromBps, uint256 toBps);
    event ValidatorJailed(address indexed validator, uint64 until, bool tombstoned);
    event ValidatorUnjailed(address indexed validator);
    event ValidatorExited(address indexed validator);
    event Slashed(
        address indexed validator, uint256 fromStake, uint256 fromUnbonding, address indexed reporter, uint256 reward
    );
    event EpochStarted(uint256 indexed epoch, uint256 startBlock, address[] validators, uint256[] powers);
    event RewardsDistributed(uint256 indexed epoch, uint256 amount);
    event RewardsClaimed(address indexed account, uint256 amount);
    event RewardsFunded(address indexed from, uint256 amount);
    event ParameterChanged(string name, uint256 value);
    event SlasherSet(address slasher);

    // ---------------------------------------------------------------- state

    IERC20 public immutable token;
    address public immutable governance;
    address private immutable deployer;
    address public slasher;

    uint256 public unbondingPeriod;
    uint256 public minSelfStake;
    uint256 public maxValidators;
    uint256 public slashFractionBps;
    uint256 public reporterRewardBps;
    uint256 public rewardPerEpoch;
    uint256 public epochLength;
    /// Seconds after an epoch starts during which evidence about it is accepted (< unbondingPeriod).
    uint256 public evidenceWindow;

    uint256 public lastEpoch;
    uint256 public lastEpochStartBlock;

    uint256 public rewardReserve;
    /// Rewards distributed and not yet claimed (includes accumulator rounding dust).
    uint256 public rewardsOwed;
    uint256 public totalStake;
    uint256 public totalUnbonding;

    mapping(address => Validator) private _validators;
    mapping(bytes32 => address) public validatorOfKey;
    address[] private _candidates;
    mapping(address => mapping(address => Delegation)) private _delegations;
    mapping(address => Unbonding[]) private _unbondings;
    mapping(address => uint256) public claimableRewards;
    mapping(address => Checkpoints.Trace208) private _stakedVotes;
    mapping(uint256 => EpochSet) private _epochSets;
    uint256[] private _recordedEpochs;

    struct Params {
        uint256 unbondingPeriod;
        uint256 minSelfStake;
        uint256 maxValidators;
        uint256 slashFractionBps;
        uint256 reporterRewardBps;
        uint256 rewardPerEpoch;
        uint256 epochLength;
        uint256 evidenceWindow;
    }

    constructor(IERC20 token_, address governance_, Params memory p) {
        if (address(token_) == address(0) || governance_ == address(0)) revert ZeroAddress();
        token = token_;
        governance = governance_;
        deployer = msg.sender;
        _checkPositive("epochLength", p.epochLength);
        _checkPositive("unbondingPeriod", p.unbondingPeriod);
        _checkPositive("minSelfStake", p.minSelfStake);
        if (p.maxValidators == 0 || p.maxValidators > MAX_ACTIVE_SET) revert BadParameter("maxValidators", p.maxValidators);
        if (p.slashFractionBps == 0 || p.slashFractionBps > MAX_SLASH_FRACTION_BPS) {
            revert BadParameter("slashFractionBps", p.slashFractionBps);
        }
        if (p.reporterRewardBps > MAX_REPORTER_REWARD_BPS) revert BadParameter("reporterRewardBps", p.reporterRewardBps);
        if (p.rewardPerEpoch > MAX_REWARD_PER_EPOCH) revert BadParameter("rewardPerEpoch", p.rewardPerEpoch);
        if (p.evidenceWindow == 0 || p.evidenceWindow >= p.unbondingPeriod) {
            revert BadParameter("evidenceWindow", p.evidenceWindow);
        }
        unbondingPeriod = p.unbondingPeriod;
        minSelfStake = p.minSelfStake;
        maxValidators = p.maxValidators;
        slashFractionBps = p.slashFractionBps;
        reporterRewardBps = p.reporterRewardBps;
        rewardPerEpoch = p.rewardPerEpoch;
        epochLength = p.epochLength;
        evidenceWindow = p.evidenceWindow;
        lastEpochStartBlock = block.number;
        _recordSet(0);
    }

    modifier onlyGovernance() {
        if (msg.sender != governance) revert NotGovernance();
        _;
    }

    modifier syncEpoch() {
        _syncEpoch();
        _;
    }

    /// The deployer wires the Slashing contract once; afterwards only governance may replace it.
    function setSlasher(address slasher_) external {
        if (slasher_ == address(0)) revert ZeroAddress();
        if (msg.sender != governance) {
            if (msg.sender != deployer) revert NotGovernance();
            if (slasher != address(0)) revert SlasherAlreadySet();
        }
        slasher = slasher_;
        emit SlasherSet(slasher_);
    }

    // ---------------------------------------------------------------- registration

    /// The bytes a validator's BLS key signs (with POP_DST) to prove possession:
    /// "megaseq-pop-v1" || chainId (32 bytes) || this contract (20) || operator (20) || pubkey (128).
    function popMessage(address operator, bytes memory blsPubkey) public view returns (bytes memory) {
        return abi.encodePacked(POP_DOMAIN, block.chainid, address(this), operator, blsPubkey);
    }

    function registerValidator(
        bytes calldata blsPubkey,
        bytes calldata popSignature,
        uint256 commissionBps,
        uint256 selfStake,
        uint256 minShares
    ) external nonReentrant syncEpoch returns (uint256 shares) {
        Validator storage v = _validators[msg.sender];
        if (v.registered) revert AlreadyRegistered(msg.sender);
        if (blsPubkey.length != BLS.G1_LEN) revert BadPubkeyLength(blsPubkey.length);
        if (popSignature.length != BLS.G2_LEN) revert BadSignatureLength(popSignature.length);
        if (BLS.isZero(blsPubkey)) revert PubkeyIsInfinity();
        bytes32 keyHash = keccak256(blsPubkey);
        if (validatorOfKey[keyHash] != address(0)) revert PubkeyTaken();
        if (commissionBps > MAX_COMMISSION_BPS) revert CommissionTooHigh(commissionBps, MAX_COMMISSION_BPS);
        if (selfStake < minSelfStake) revert SelfStakeTooLow(selfStake, minSelfStake);
        if (_candidates.length >= MAX_CANDIDATES) revert TooManyCandidates();
        if (!BLS.verify(blsPubkey, popMessage(msg.sender, blsPubkey), popSignature, POP_DST)) {
            revert InvalidProofOfPossession();
        }
        v.registered = true;
        v.blsPubkey = blsPubkey;
        v.commissionBps = uint16(commissionBps);
        v.commissionChangedEpoch = uint64(lastEpoch);
        validatorOfKey[keyHash] = msg.sender;
        _candidates.push(msg.sender);
        emit ValidatorRegistered(msg.sender, blsPubkey, commissionBps, selfStake);
        shares = _delegate(msg.sender, msg.sender, selfStake, minShares);
    }

    function setCommission(uint256 newBps) external syncEpoch {
        Validator storage v = _requireValidator(msg.sender);
        if (newBps > MAX_COMMISSION_BPS) revert CommissionTooHigh(newBps, MAX_COMMISSION_BPS);
        uint256 old = v.commissionBps;
        uint256 diff = newBps > old ? newBps - old : old - newBps;
        if (diff > MAX_COMMISSION_CHANGE_BPS) revert CommissionChangeTooLarge(old, newBps);
        if (v.commissionChangedEpoch == lastEpoch) revert CommissionChangedThisEpoch();
        v.commissionBps = uint16(newBps);
        v.commissionChangedEpoch = uint64(lastEpoch);
        emit CommissionChanged(msg.sender, old, newBps);
    }

    // ---------------------------------------------------------------- delegation

    /// Bonds `amount` MEGA (approved to this contract) to `validator`; reverts unless at least
    /// `minShares` shares are minted.
    function delegate(address validator, uint256 amount, uint256 minShares)
        external
        nonReentrant
        syncEpoch
        returns (uint256)
    {
        return _delegate(msg.sender, validator, amount, minShares);
    }

    /// Starts unbonding `amount` MEGA (type(uint256).max: everything) from `validator`; reverts if
    /// more than `maxShares` shares would be burned. Returns the shares burned and the MEGA moved.
    function undelegate(address validator, uint256 amount, uint256 maxShares)
        external
        nonReentrant
        syncEpoch
        returns (uint256 shares, uint256 tokens)
    {
        if (amount == 0) revert ZeroAmount();
        Validator storage v = _requireValidator(validator);
        Delegation storage d = _delegations[validator][msg.sender];
        if (amount == type(uint256).max) {
            shares = d.shares;
            tokens = _sharesToTokensDown(shares, v.stake, v.shares);
        } else {
            tokens = amount;
            shares = Math.mulDiv(amount, v.shares + VIRTUAL_SHARES, v.stake + VIRTUAL_ASSETS, Math.Rounding.Ceil);
        }
        if (shares == 0 || tokens == 0) revert ZeroAmount();
        if (shares > d.shares) revert InsufficientShares(shares, d.shares);
        if (shares > maxShares) revert SlippageExceeded(shares, maxShares);
        if (validator == msg.sender && !v.exited && !v.tombstoned) {
            uint256 remaining = _sharesToTokensDown(d.shares - shares, v.stake - tokens, v.shares - shares);
            if (remaining != 0 && remaining < minSelfStake) revert SelfStakeTooLow(remaining, minSelfStake);
        }
        Unbonding[] storage queue = _unbondings[msg.sender];
        if (queue.length >= MAX_UNBONDING_ENTRIES) revert TooManyUnbondingEntries();

        _settleRewards(v, d, msg.sender);
        uint256 principalOut = Math.mulDiv(d.principal, shares, d.shares);
        d.shares -= shares;
        d.principal -= principalOut;
        d.rewardDebt = _debt(d.shares, v.accRewardPerShare);
        v.shares -= shares;
        v.stake -= tokens;
        totalStake -= tokens;
        _pushVotes(msg.sender, principalOut, false);

        uint256 unbondShares =
            Math.mulDiv(tokens, v.unbondingShares + VIRTUAL_SHARES, v.unbondingTokens + VIRTUAL_ASSETS);
        v.unbondingShares += unbondShares;
        v.unbondingTokens += tokens;
        totalUnbonding += tokens;
        uint64 unlock = uint64(block.timestamp + unbondingPeriod);
        queue.push(Unbonding({validator: validator, shares: unbondShares, unlockTime: unlock}));
        emit Undelegated(msg.sender, validator, tokens, shares, unlock);
    }

    /// Pays every unbonding entry of the caller whose unlock time has passed (after any slash).
    function withdraw() external nonReentrant syncEpoch returns (uint256 total) {
        Unbonding[] storage queue = _unbondings[msg.sender];
        uint256 i = 0;
        while (i < queue.length) {
            Unbonding memory e = queue[i];
            if (e.unlockTime > block.timestamp) {
                i++;
                continue;
            }
            Validator storage v = _validators[e.validator];
            uint256 amount =
                Math.mulDiv(e.shares, v.unbondingTokens + VIRTUAL_ASSETS, v.unbondingShares + VIRTUAL_SHARES);
            if (amount > v.unbondingTokens) amount = v.unbondingTokens;
            v.unbondingShares -= e.shares;
            v.unbondingTokens -= amount;
            totalUnbonding -= amount;
            total += amount;
            emit Withdrawn(msg.sender, e.validator, amount);
            queue[i] = queue[queue.length - 1];
            queue.pop();
        }
        if (total == 0) revert NothingToWithdraw();
        token.safeTransfer(msg.sender, total);
    }

    // ---------------------------------------------------------------- rewards

    /// Adds `amount` MEGA (approved) to the reward reserve.
    function fundRewards(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        token.safeTransferFrom(msg.sender, address(this), amount);
        rewardReserve += amount;
        emit RewardsFunded(msg.sender, amount);
    }

    /// Claims the caller's settled rewards plus what its delegations to `validators` have accrued
    /// (the caller names them, so the loop is bounded by its own input).
    function claimRewards(address[] calldata validators) external nonReentrant syncEpoch returns (uint256 amount) {
        for (uint256 i = 0; i < validators.length; i++) {
            Delegation storage d = _delegations[validators[i]][msg.sender];
            if (d.shares != 0) _settleRewards(_validators[validators[i]], d, msg.sender);
        }
        amount = claimableRewards[msg.sender];
        if (amount == 0) revert NothingToClaim();
        claimableRewards[msg.sender] = 0;
        rewardsOwed -= amount;
        token.safeTransfer(msg.sender, amount);
        emit RewardsClaimed(msg.sender, amount);
    }

    // ---------------------------------------------------------------- jail, exit, slash

    function jail(address validator, uint64 until) external onlyGovernance syncEpoch {
        Validator storage v = _requireValidator(validator);
        v.jailed = true;
        if (until > v.jailedUntil) v.jailedUntil = until;
        emit ValidatorJailed(validator, v.jailedUntil, v.tombstoned);
    }

    function unjail() external syncEpoch {
        Validator storage v = _requireValidator(msg.sender);
        if (v.tombstoned) revert Tombstoned(msg.sender);
        if (!v.jailed) revert NotJailed();
        if (block.timestamp < v.jailedUntil) revert StillJailed(v.jailedUntil);
        uint256 self = selfStake(msg.sender);
        if (self < minSelfStake) revert SelfStakeTooLow(self, minSelfStake);
        v.jailed = false;
        emit ValidatorUnjailed(msg.sender);
    }

    /// Leaves the candidate list for good (the key stays reserved); delegators keep their shares
    /// and undelegate as usual. Takes effect in the set at the next epoch boundary.
    function exitValidator() external syncEpoch {
        Validator storage v = _requireValidator(msg.sender);
        if (v.exited) revert AlreadyExited();
        v.exited = true;
        uint256 n = _candidates.length;
        for (uint256 i = 0; i < n; i++) {
            if (_candidates[i] == msg.sender) {
                _candidates[i] = _candidates[n - 1];
                _candidates.pop();
                break;
            }
        }
        emit ValidatorExited(msg.sender);
    }

    /// Called by the Slashing contract on verified evidence: takes `slashFractionBps` of the
    /// validator's bonded stake and of its unbonding pool, tombstones it and pays the reporter.
    function slash(address validator, address reporter)
        external
        nonReentrant
        syncEpoch
        returns (uint256 fromStake, uint256 fromUnbonding)
    {
        if (msg.sender != slasher) revert NotSlasher();
        Validator storage v = _requireValidator(validator);
        if (v.tombstoned) revert Tombstoned(validator);
        fromStake = v.stake * slashFractionBps / BPS;
        fromUnbonding = v.unbondingTokens * slashFractionBps / BPS;
        v.stake -= fromStake;
        v.unbondingTokens -= fromUnbonding;
        totalStake -= fromStake;
        totalUnbonding -= fromUnbonding;
        v.jailed = true;
        v.tombstoned = true;
        v.jailedUntil = type(uint64).max;
        uint256 total = fromStake + fromUnbonding;
        uint256 reward = total * reporterRewardBps / BPS;
        rewardReserve += total - reward;
        if (reward != 0) token.safeTransfer(reporter, reward);
        emit Slashed(validator, fromStake, fromUnbonding, reporter, reward);
        emit ValidatorJailed(validator, v.jailedUntil, true);
    }

    // ---------------------------------------------------------------- epochs

    /// Crosses every passed epoch boundary (anyone may call; state-changing calls do it anyway).
    function advanceEpoch() external {
        _syncEpoch();
    }

    /// The epoch the chain is in now, whether or not its boundary has been crossed on chain yet.
    function currentEpoch() public view returns (uint256) {
        return lastEpoch + (block.number - lastEpochStartBlock) / epochLength;
    }

    /// The frozen active set of `epoch`: operator addresses, BLS public keys (EIP-2537 G1,
    /// 128 bytes) and voting power (bonded MEGA at the epoch start, in wei).
    function validatorSet(uint256 epoch)
        external
        view
        returns (address[] memory validators, bytes[] memory blsPubkeys, uint256[] memory powers)
    {
        (validators, powers) = _setOf(epoch);
        blsPubkeys = new bytes[](validators.length);
        for (uint256 i = 0; i < validators.length; i++) {
            blsPubkeys[i] = _validators[validators[i]].blsPubkey;
        }
    }

    /// Whether `validator` is in `epoch`'s set, and the block timestamp at which that set was
    /// frozen on chain (the evidence window counts from it).
    function membership(uint256 epoch, address validator) external view returns (bool member, uint256 startTime) {
        (address[] memory vals,) = _setOf(epoch);
        for (uint256 i = 0; i < vals.length; i++) {
            if (vals[i] == validator) member = true;
        }
        startTime = _epochStartTime(epoch);
    }

    // ---------------------------------------------------------------- views

    function getValidator(address validator) external view returns (Validator memory) {
        return _validators[validator];
    }

    function candidates() external view returns (address[] memory) {
        return _candidates;
    }

    function getDelegation(address validator, address delegator) external view returns (Delegation memory) {
        return _delegations[validator][delegator];
    }

    function unbondings(address delegator) external view returns (Unbonding[] memory) {
        return _unbondings[delegator];
    }

    /// MEGA that `delegator`'s shares in `validator` are worth now (rounded down).
    function stakeOf(address validator, address delegator) public view returns (uint256) {
        Validator storage v = _validators[validator];
        return _sharesToTokensDown(_delegations[validator][delegator].shares, v.stake, v.shares);
    }

    function selfStake(address validator) public view returns (uint256) {
        return stakeOf(validator, validator);
    }

    /// What an unbonding entry pays now (after any slash).
    function unbondingValue(address delegator, uint256 index) external view returns (uint256) {
        Unbonding storage e = _unbondings[delegator][index];
        Validator storage v = _validators[e.validator];
        uint256 amount = Math.mulDiv(e.shares, v.unbondingTokens + VIRTUAL_ASSETS, v.unbondingShares + VIRTUAL_SHARES);
        return amount > v.unbondingTokens ? v.unbondingTokens : amount;
    }

    /// Rewards `account` could claim now: settled ones plus accrued on its delegations to
    /// `validators`.
    function pendingRewards(address account, address[] calldata validators) external view returns (uint256 total) {
        total = claimableRewards[account];
        for (uint256 i = 0; i < validators.length; i++) {
            Validator storage v = _validators[validators[i]];
            Delegation storage d = _delegations[validators[i]][account];
            uint256 accrued = Math.mulDiv(d.shares, v.accRewardPerShare, ACC_SCALE);
            if (accrued > d.rewardDebt) total += accrued - d.rewardDebt;
        }
    }

    /// Shares `amount` MEGA would mint in `validator` now (for slippage bounds).
    function previewDelegate(address validator, uint256 amount) external view returns (uint256) {
        Validator storage v = _validators[validator];
        return Math.mulDiv(amount, v.shares + VIRTUAL_SHARES, v.stake + VIRTUAL_ASSETS);
    }

    /// Shares undelegating `amount` MEGA would burn in `validator` now (for slippage bounds).
    function previewUndelegate(address validator, uint256 amount) external view returns (uint256) {
        Validator storage v = _validators[validator];
        return Math.mulDiv(amount, v.shares + VIRTUAL_SHARES, v.stake + VIRTUAL_ASSETS, Math.Rounding.Ceil);
    }

    /// Governance weight of bonded MEGA: the principal `account` had bonded at block `timepoint`.
    function getPastStakedVotes(address account, uint256 timepoint) external view returns (uint256) {
        if (timepoint >= block.number) revert FutureLookup(timepoint);
        return _stakedVotes[account].upperLookupRecent(SafeCast.toUint48(timepoint));
    }

    function getStakedVotes(address account) external view returns (uint256) {
        return _stakedVotes[account].latest();
    }

    // ---------------------------------------------------------------- governance

    function setUnbondingPeriod(uint256 value) external onlyGovernance syncEpoch {
        if (value <= evidenceWindow) revert BadParameter("unbondingPeriod", value);
        unbondingPeriod = value;
        emit ParameterChanged("unbondingPeriod", value);
    }

    function setEvidenceWindow(uint256 value) external onlyGovernance syncEpoch {
        if (value == 0 || value >= unbondingPeriod) revert BadParameter("evidenceWindow", value);
        evidenceWindow = value;
        emit ParameterChanged("evidenceWindow", value);
    }

    function setMinSelfStake(uint256 value) external onlyGovernance syncEpoch {
        _checkPositive("minSelfStake", value);
        minSelfStake = value;
        emit ParameterChanged("minSelfStake", value);
    }

    function setMaxValidators(uint256 value) external onlyGovernance syncEpoch {
        if (value == 0 || value > MAX_ACTIVE_SET) revert BadParameter("maxValidators", value);
        maxValidators = value;
        emit ParameterChanged("maxValidators", value);
    }

    function setSlashFraction(uint256 value) external onlyGovernance syncEpoch {
        if (value == 0 || value > MAX_SLASH_FRACTION_BPS) revert BadParameter("slashFractionBps", value);
        slashFractionBps = value;
        emit ParameterChanged("slashFractionBps", value);
    }

    function setReporterReward(uint256 value) external onlyGovernance syncEpoch {
        if (value > MAX_REPORTER_REWARD_BPS) revert BadParameter("reporterRewardBps", value);
        reporterRewardBps = value;
        emit ParameterChanged("reporterRewardBps", value);
    }

    function setRewardPerEpoch(uint256 value) external onlyGovernance syncEpoch {
        if (value > MAX_REWARD_PER_EPOCH) revert BadParameter("rewardPerEpoch", value);
        rewardPerEpoch = value;
        emit ParameterChanged("rewardPerEpoch", value);
    }

    function setEpochLength(uint256 value) external onlyGovernance syncEpoch {
        _checkPositive("epochLength", value);
        epochLength = value;
        emit ParameterChanged("epochLength", value);
    }

    // ---------------------------------------------------------------- internals

    function _delegate(address delegator, address validator, uint256 amount, uint256 minShares)
        internal
        returns (uint256 shares)
    {
        if (amount == 0) revert ZeroAmount();
        Validator storage v = _requireValidator(validator);
        if (v.exited || v.tombstoned) revert ValidatorNotAcceptingStake(validator);
        shares = Math.mulDiv(amount, v.shares + VIRTUAL_SHARES, v.stake + VIRTUAL_ASSETS);
        if (shares == 0 || shares < minShares) revert SlippageExceeded(shares, minShares);
        Delegation storage d = _delegations[validator][delegator];
        _settleRewards(v, d, delegator);
        token.safeTransferFrom(delegator, address(this), amount);
        d.shares += shares;
        d.principal += amount;
        d.rewardDebt = _debt(d.shares, v.accRewardPerShare);
        v.shares += shares;
        v.stake += amount;
        totalStake += amount;
        _pushVotes(delegator, amount, true);
        emit Delegated(delegator, validator, amount, shares);
    }

    /// Pays what the delegation accrued (rounded down) and resets its debt (rounded up), so that
    /// no sequence of settlements pays out more than the accumulator received.
    function _settleRewards(Validator storage v, Delegation storage d, address account) internal {
        uint256 accrued = Math.mulDiv(d.shares, v.accRewardPerShare, ACC_SCALE);
        if (accrued > d.rewardDebt) claimableRewards[account] += accrued - d.rewardDebt;
        d.rewardDebt = _debt(d.shares, v.accRewardPerShare);
    }

    function _debt(uint256 shares, uint256 acc) private pure returns (uint256) {
        return Math.mulDiv(shares, acc, ACC_SCALE, Math.Rounding.Ceil);
    }

    function _pushVotes(address account, uint256 amount, bool add) internal {
        Checkpoints.Trace208 storage t = _stakedVotes[account];
        uint256 latest = t.latest();
        uint256 next = add ? latest + amount : latest - amount;
        t.push(SafeCast.toUint48(block.number), SafeCast.toUint208(next));
    }

    function _syncEpoch() internal {
        uint256 elapsed = (block.number - lastEpochStartBlock) / epochLength;
        if (elapsed == 0) return;
        _distributeRewards(elapsed);
        lastEpoch += elapsed;
        lastEpochStartBlock += elapsed * epochLength;
        _recordSet(lastEpoch);
    }

    /// Pays `epochs` epochs of rewards to the set that served them (the last recorded one).
    function _distributeRewards(uint256 epochs) internal {
        uint256 budget = Math.min(rewardPerEpoch * epochs, rewardReserve);
        if (budget == 0) return;
        EpochSet storage s = _epochSets[_recordedEpochs[_recordedEpochs.length - 1]];
        uint256 totalPower;
        for (uint256 i = 0; i < s.powers.length; i++) {
            totalPower += s.powers[i];
        }
        if (totalPower == 0) return;
        uint256 paid;
        for (uint256 i = 0; i < s.validators.length; i++) {
            Validator storage v = _validators[s.validators[i]];
            if (v.jailed || v.exited || v.shares == 0) continue;
            uint256 share = budget * s.powers[i] / totalPower;
            uint256 commission = share * v.commissionBps / BPS;
            uint256 rest = share - commission;
            // The accumulator pays at most `rest`; its rounding dust stays counted in rewardsOwed.
            v.accRewardPerShare += Math.mulDiv(rest, ACC_SCALE, v.shares);
            claimableRewards[s.validators[i]] += commission;
            paid += share;
        }
        rewardReserve -= paid;
        rewardsOwed += paid;
        emit RewardsDistributed(lastEpoch, paid);
    }

    function _recordSet(uint256 epoch) internal {
        (address[] memory vals, uint256[] memory powers) = _computeTopSet();
        EpochSet storage s = _epochSets[epoch];
        s.recorded = true;
        s.startBlock = uint64(lastEpochStartBlock);
        s.startTime = uint64(block.timestamp);
        s.validators = vals;
        s.powers = powers;
        _recordedEpochs.push(epoch);
        emit EpochStarted(epoch, lastEpochStartBlock, vals, powers);
    }

    /// Top `maxValidators` eligible candidates by stake (ties: lower address first).
    function _computeTopSet() internal view returns (address[] memory vals, uint256[] memory powers) {
        uint256 cap = maxValidators;
        address[] memory top = new address[](cap);
        uint256[] memory pw = new uint256[](cap);
        uint256 count;
        uint256 n = _candidates.length;
        for (uint256 i = 0; i < n; i++) {
            address a = _candidates[i];
            Validator storage v = _validators[a];
            if (v.jailed || v.tombstoned || v.exited || v.stake == 0) continue;
            if (_sharesToTokensDown(_delegations[a][a].shares, v.stake, v.shares) < minSelfStake) continue;
            uint256 stake = v.stake;
            // Insertion into the sorted prefix; drop the smallest when full.
            uint256 pos = count;
            while (pos > 0 && _ranksAbove(stake, a, pw[pos - 1], top[pos - 1])) pos--;
            if (pos >= cap) continue;
            uint256 end = count < cap ? count : cap - 1;
            for (uint256 k = end; k > pos; k--) {
                top[k] = top[k - 1];
                pw[k] = pw[k - 1];
            }
            top[pos] = a;
            pw[pos] = stake;
            if (count < cap) count++;
        }
        vals = new address[](count);
        powers = new uint256[](count);
        for (uint256 i = 0; i < count; i++) {
            vals[i] = top[i];
            powers[i] = pw[i];
        }
    }

    function _ranksAbove(uint256 stakeA, address a, uint256 stakeB, address b) private pure returns (bool) {
        return stakeA > stakeB || (stakeA == stakeB && a < b);
    }

    function _setOf(uint256 epoch) internal view returns (address[] memory, uint256[] memory) {
        if (epoch > currentEpoch()) revert EpochNotStarted(epoch);
        if (epoch > lastEpoch) return _computeTopSet();
        EpochSet storage s = _epochSets[_recordedAtOrBefore(epoch)];
        return (s.validators, s.powers);
    }

    function _epochStartTime(uint256 epoch) internal view returns (uint256) {
        if (epoch > lastEpoch) return block.timestamp;
        return _epochSets[_recordedAtOrBefore(epoch)].startTime;
    }

    function _recordedAtOrBefore(uint256 epoch) internal view returns (uint256) {
        uint256 lo = 0;
        uint256 hi = _recordedEpochs.length;
        while (hi - lo > 1) {
            uint256 mid = (lo + hi) / 2;
            if (_recordedEpochs[mid] <= epoch) lo = mid;
            else hi = mid;
        }
        return _recordedEpochs[lo];
    }

    function _requireValidator(address validator) internal view returns (Validator storage v) {
        v = _validators[validator];
        if (!v.registered) revert NotRegistered(validator);
    }

    function _sharesToTokensDown(uint256 shares, uint256 stake, uint256 totalShares) internal pure returns (uint256) {
        return Math.mulDiv(shares, stake + VIRTUAL_ASSETS, totalShares + VIRTUAL_SHARES);
    }

    function _checkPositive(string memory name, uint256 value) private pure {
        if (value == 0) revert BadParameter(name, value);
    }
}
